"""The window's one long-lived upload worker: core's UploadEngine on a QThread.

A QObject moved to a QThread, wired the canonical way (started→run, finished→quit,
finished→deleteLater). `run` runs the current account's engine with
`run(until_idle=False, wait_for_sign_in=True)` until the window quits or switches account.
The same engine serves the CLI; the worker only turns its plain callbacks into Qt signals.

The engine calls back from its own threads, many times a second while bytes flow. Those
calls only append to a buffer under a lock; the first one after a drain emits `eventsReady`
(queued to the GUI thread), and the window takes the whole buffer in one go, with progress
coalesced to the latest figure per file. So the GUI thread does one batch of work per
event-loop turn however busy the engine is.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from thetadesk.core.api import Image360Client
from thetadesk.core.check_pool import CheckPool
from thetadesk.core.engine import (
    EngineEvent,
    EngineSettings,
    ItemChanged,
    QueueStatus,
    StatusChanged,
    UploadEngine,
)
from thetadesk.core.inspection import Inspection, inspect_file
from thetadesk.core.queue_store import QueueStore
from thetadesk.core.runner_lock import QueueBusy

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 5.0  # another process runs the queue: try to take it over this often
ERROR_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Inspected:
    """The engine checked a file; the full inspection (camera, pixel size, every reason)."""

    path: Path
    inspection: Inspection


@dataclass(frozen=True)
class QueueBusyNotice:
    """Another thetadesk (the CLI) is running this queue; the window tries again later."""

    message: str


WorkerEvent = ItemChanged | StatusChanged | Inspected | QueueBusyNotice

__all__ = [
    "EventBatch",
    "Inspected",
    "ItemChanged",
    "QueueBusyNotice",
    "StatusChanged",
    "UploadWorker",
    "WorkerEvent",
    "start_worker_thread",
]


@dataclass
class EventBatch:
    """What happened since the last take(): events in order, then the latest progress.

    Each event carries the generation of the engine that sent it, so the window can drop
    what an engine it already replaced (another account) still reported.
    """

    events: list[tuple[int, WorkerEvent]] = field(default_factory=list)
    progress: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    """(generation, item id) → (bytes sent, bytes total)."""


class UploadWorker(QObject):
    """Runs one UploadEngine at a time on its thread.

    Signals:
        eventsReady(): something is waiting in the buffer; call `take()` on the GUI thread.
        finished(): `run` returned (after `stop`).
    """

    eventsReady = Signal()
    finished = Signal()

    def __init__(
        self, *, busy_retry_seconds: float = BUSY_RETRY_SECONDS, check_in_processes: bool = True
    ) -> None:
        super().__init__()
        self._busy_retry = busy_retry_seconds
        # Files are hashed and inspected in worker processes (started at the first check),
        # so thousands of checks do not keep the GUI thread waiting for the GIL.
        self._check_pool = CheckPool() if check_in_processes else None
        self._cond = threading.Condition()
        # Guarded by _cond.
        self._engine: UploadEngine | None = None
        self._generation = 0
        self._generations: dict[int, int] = {}  # id(engine) → generation
        self._stopping = False
        # Guarded by _buffer_lock.
        self._buffer_lock = threading.Lock()
        self._buffer = EventBatch()
        self._notified = False
        self._closed = False  # run() returned: the QObject may be deleted, emit nothing

    # -- called from the GUI thread --------------------------------------------------------

    def start_engine(
        self,
        store: QueueStore,
        client: Image360Client,
        username: str,
        settings: EngineSettings | None = None,
    ) -> tuple[int, UploadEngine]:
        """Make the engine for this account and run it instead of the current one."""
        with self._cond:
            self._generation += 1
            generation = self._generation

        def on_event(event: EngineEvent) -> None:
            self._post(generation, event)

        def on_progress(item_id: int, sent: int, total: int) -> None:
            self._post_progress(generation, item_id, sent, total)

        def inspected(path: Path, inspection: Inspection) -> None:
            self._post(
                generation, Inspected(path if isinstance(path, Path) else Path(path), inspection)
            )

        def inspect(path: Path) -> Inspection:
            inspection = inspect_file(path)
            inspected(path, inspection)
            return inspection

        engine = UploadEngine(
            store,
            client,
            username,
            settings=settings,
            on_event=on_event,
            on_progress=on_progress,
            should_cancel=lambda: self._leaving(engine),
            inspect=inspect,
            check_pool=self._check_pool,
            on_inspected=inspected,
        )
        with self._cond:
            previous = self._engine
            self._engine = engine
            self._generations[id(engine)] = generation
            if previous is not None:
                self._generations.pop(id(previous), None)
            self._cond.notify_all()
        if previous is not None:
            previous.stop()
        return generation, engine

    def stop(self) -> None:
        """Make `run` return soon: the engine stops, uploads in flight stay queued."""
        with self._cond:
            self._stopping = True
            engine = self._engine
            self._cond.notify_all()
        if engine is not None:
            engine.stop()

    def post(self, generation: int, event: WorkerEvent) -> None:
        """Add an event of the window's own (a row read after a retry) to the stream."""
        self._post(generation, event)

    def take(self) -> EventBatch:
        """Everything buffered since the last take (GUI thread)."""
        with self._buffer_lock:
            batch, self._buffer = self._buffer, EventBatch()
            self._notified = False
        return batch

    # -- any thread ------------------------------------------------------------------------

    def _leaving(self, engine: UploadEngine) -> bool:
        # The engine's should_cancel: asked between chunks, so plain attribute reads.
        return self._stopping or self._engine is not engine

    def _post(self, generation: int, event: WorkerEvent) -> None:
        with self._buffer_lock:
            if self._closed:
                return
            self._buffer.events.append((generation, event))
            notify = not self._notified
            self._notified = True
            if notify:
                # Under the lock, so run() cannot finish (and the object go) in between.
                self.eventsReady.emit()

    def _post_progress(self, generation: int, item_id: int, sent: int, total: int) -> None:
        with self._buffer_lock:
            if self._closed:
                return
            self._buffer.progress[(generation, item_id)] = (sent, total)
            notify = not self._notified
            self._notified = True
            if notify:
                self.eventsReady.emit()

    # -- the worker thread -----------------------------------------------------------------

    def _next_engine(self) -> tuple[int, UploadEngine] | None:
        with self._cond:
            while not self._stopping and self._engine is None:
                self._cond.wait()
            if self._stopping or self._engine is None:
                return None
            return self._generations[id(self._engine)], self._engine

    def _pause_while_current(self, engine: UploadEngine, seconds: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._leaving(engine), timeout=seconds)

    @Slot()
    def run(self) -> None:
        log.debug("upload worker started")
        try:
            while (current := self._next_engine()) is not None:
                generation, engine = current
                try:
                    engine.run(until_idle=False, wait_for_sign_in=True)
                except QueueBusy as exc:
                    log.info("%s", exc)
                    self._post(generation, QueueBusyNotice(str(exc)))
                    self._pause_while_current(engine, self._busy_retry)
                    continue
                except Exception:
                    # The queue file may be unusable (disk full, damaged): say so, try later.
                    log.exception("the upload engine stopped unexpectedly")
                    self._post(
                        generation,
                        StatusChanged(
                            QueueStatus.STOPPED,
                            "The upload queue stopped unexpectedly; details are in the log.",
                        ),
                    )
                    self._pause_while_current(engine, ERROR_RETRY_SECONDS)
                    continue
                # run() returns once it was asked to leave; anything else: do not spin.
                self._pause_while_current(engine, ERROR_RETRY_SECONDS)
        finally:
            if self._check_pool is not None:
                self._check_pool.shutdown()
            log.debug("upload worker stopped")
            with self._buffer_lock:
                # A queue command still running (adding files) may report later: dropped,
                # since finished→deleteLater ends this object.
                self._closed = True
            self.finished.emit()


def start_worker_thread(worker: UploadWorker) -> QThread:
    """Move `worker` to a new QThread, wired the canonical way, and start it."""
    thread = QThread()
    thread.setObjectName("thetadesk-upload-worker")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread's event
    # loop, which is blocked in thread.wait() when the window closes.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    worker.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
