"""The one background worker that expands folders, checks files and uploads them.

A QObject moved to a QThread, wired the canonical way (started→run, finished→quit,
finished→deleteLater). `run` is a loop over a thread-safe job queue; the GUI thread talks
to it only through the plain thread-safe methods below, and it answers with signals, which
Qt queues to the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from thetadesk.core.api import Image360Client
from thetadesk.core.errors import SignInRequired
from thetadesk.core.inspection import Inspection, inspect_file
from thetadesk.core.scan import find_photos
from thetadesk.core.uploader import (
    UploadDefaults,
    UploadResult,
    UploadStatus,
    should_send,
    upload_one,
)

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between progress signals for one file


@dataclass(frozen=True)
class _Upload:
    seq: int  # order of arrival for checking; cancel_uploads() cancels up to a seq
    inspection: Inspection


class UploadWorker(QObject):
    """Checks and uploads files one at a time, in the order they were added.

    Checking goes before uploading, so every tile gets its verdict quickly even while a
    long upload is queued. Uploads wait while there is no signed-in client.

    Signals:
        photosFound(list[Path]): the JPEG files found in what `expand` was given.
        inspected(Path, Inspection): a file was checked.
        uploadStarted(Path): its upload begins.
        progress(Path, int, int): bytes sent and total, at most every PROGRESS_INTERVAL.
        fileFinished(UploadResult): uploaded, failed, cancelled, held or rejected.
        signInNeeded(str): the session ended; that file and all later ones stay queued
            until `set_client` is called with a signed-in client.
        finished(): `run` returned (after `stop`).
    """

    photosFound = Signal(object)
    inspected = Signal(object, object)
    uploadStarted = Signal(object)
    progress = Signal(object, int, int)
    fileFinished = Signal(object)
    signInNeeded = Signal(str)
    finished = Signal()

    def __init__(
        self,
        client: Image360Client | None,
        defaults: UploadDefaults | None = None,
        *,
        progress_interval: float = PROGRESS_INTERVAL,
    ) -> None:
        super().__init__()
        self._defaults = defaults or UploadDefaults()
        self._progress_interval = progress_interval
        self._lock = threading.Condition()
        # All of the following are guarded by _lock.
        self._client = client
        self._to_expand: deque[list[Path]] = deque()
        self._to_check: deque[tuple[int, Path]] = deque()
        self._to_upload: deque[_Upload] = deque()
        self._seq = 0  # numbers files as they are handed to check()
        self._cancel_upto = 0
        self._stopping = False

    # -- called from the GUI thread --------------------------------------------------------

    def expand(self, paths: Iterable[Path]) -> None:
        """Find the photos in these files and folders; answers with photosFound."""
        with self._lock:
            self._to_expand.append([Path(p) for p in paths])
            self._lock.notify()

    def check(self, paths: Iterable[Path]) -> None:
        """Inspect these files, then upload the uploadable ones."""
        with self._lock:
            for path in paths:
                self._seq += 1
                self._to_check.append((self._seq, Path(path)))
            self._lock.notify()

    def set_client(self, client: Image360Client | None) -> None:
        """Use this signed-in client from now on; queued uploads resume."""
        with self._lock:
            self._client = client
            self._lock.notify()

    def cancel_uploads(self) -> None:
        """Cancel the running upload and every file handed to check() so far that would
        be uploaded; files added later upload as usual."""
        with self._lock:
            self._cancel_upto = self._seq
            self._lock.notify()

    def stop(self) -> None:
        """Leave `run` as soon as possible; a running upload is cancelled between chunks."""
        with self._lock:
            self._stopping = True
            self._lock.notify()

    @property
    def pending_uploads(self) -> int:
        with self._lock:
            return len(self._to_upload)

    # -- the worker thread -----------------------------------------------------------------

    def _has_work(self) -> bool:
        if self._to_expand or self._to_check:
            return True
        if not self._to_upload:
            return False
        # Queued uploads are ordered by seq, so looking at the head is enough.
        return self._client is not None or self._to_upload[0].seq <= self._cancel_upto

    def _take_job(self) -> Callable[[], None] | None:
        """Wait for the next job; None once stop() was called."""
        with self._lock:
            while not self._stopping and not self._has_work():
                self._lock.wait()
            if self._stopping:
                return None
            # Cheap jobs first: expanding and checking give the user tiles and verdicts
            # while a long upload is still waiting.
            if self._to_expand:
                return partial(self._expand, self._to_expand.popleft())
            if self._to_check:
                return partial(self._check, *self._to_check.popleft())
            upload = self._to_upload.popleft()
            if upload.seq <= self._cancel_upto:
                return partial(self._cancel, upload)
            return partial(self._upload, upload, self._client)

    @Slot()
    def run(self) -> None:
        log.debug("upload worker started")
        try:
            while (job := self._take_job()) is not None:
                try:
                    job()
                except Exception:
                    # One broken file must not end the worker and strand the queue.
                    log.exception("upload worker job failed")
        finally:
            log.debug("upload worker stopped")
            self.finished.emit()

    def _expand(self, paths: list[Path]) -> None:
        try:
            photos = find_photos(paths)
        except OSError as exc:
            log.warning("could not list the dropped files: %s", exc)
            photos = []
        self.photosFound.emit(list(photos))

    def _check(self, seq: int, path: Path) -> None:
        try:
            inspection = inspect_file(path)
        except Exception as exc:  # noqa: BLE001 - inspect_file should not raise; be safe
            log.exception("inspecting %s failed", path.name)
            self.fileFinished.emit(UploadResult(path, UploadStatus.FAILED, f"not checked: {exc}"))
            return
        self.inspected.emit(path, inspection)
        held = should_send(inspection)
        if held is not None:
            # needs_review waits for the user; rejected is never sent.
            reason = inspection.reasons[0] if inspection.reasons else inspection.verdict.value
            self.fileFinished.emit(UploadResult(path, held, reason))
            return
        with self._lock:
            # Checked in seq order, so the upload queue stays sorted by seq.
            self._to_upload.append(_Upload(seq, inspection))

    def _cancel(self, upload: _Upload) -> None:
        self.fileFinished.emit(
            UploadResult(upload.inspection.path, UploadStatus.CANCELLED, "cancelled")
        )

    def _upload(self, upload: _Upload, client: Image360Client | None) -> None:
        assert client is not None  # _has_work only hands out uploads with a client
        path = upload.inspection.path
        self.uploadStarted.emit(path)
        last_emit = 0.0

        def on_progress(sent: int, total: int) -> None:
            nonlocal last_emit
            now = time.monotonic()
            if sent >= total or now - last_emit >= self._progress_interval:
                last_emit = now
                self.progress.emit(path, sent, total)

        def should_cancel() -> bool:
            # Unlocked reads of two attributes: each is atomic, and a stale answer only
            # delays the cancel by one chunk.
            return self._stopping or upload.seq <= self._cancel_upto

        try:
            result = upload_one(
                client,
                upload.inspection,
                self._defaults,
                on_progress=on_progress,
                should_cancel=should_cancel,
            )
        except SignInRequired as exc:
            with self._lock:
                # Keep the file at the head of the queue: nothing is lost, and the order holds.
                self._to_upload.appendleft(upload)
                session_ended = self._client is client
                if session_ended:
                    self._client = None
            if session_ended:  # else the user signed in again meanwhile: just go on
                log.info("sign-in needed; %d uploads wait", self.pending_uploads)
                self.signInNeeded.emit(str(exc))
            return
        self.fileFinished.emit(result)


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
