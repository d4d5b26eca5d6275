"""The upload engine: runs the persistent queue for one account, in parallel, safely.

One engine serves the CLI and the window's worker thread. It has no Qt: callers get plain
callbacks (`on_event`, `on_progress`) called from the engine's threads, and can stop it with
`stop()` or a `should_cancel` callable. Every public method is thread-safe.

What it guarantees, and how:
- Nothing is lost: every file's state is in the queue file (queue_store), one transaction
  per change, and a restart carries on where the last run was, however it ended.
- Nothing is sent twice: content is known by SHA-256 (computed once); the same bytes queued
  under two names go up once; after any unclear outcome (timeout, reset, 5xx, crash, cancel)
  the server is asked whether it already has that SHA-256 before the file is sent again.
- Network trouble (connection errors, timeouts, 5xx, 429) pauses the whole queue with a
  reason and exponential backoff with jitter (Retry-After honoured); the engine probes the
  server when the wait is over and goes on by itself when it answers.
- Other 4xx answers fail that one file with the server's message; the batch goes on.
- Sign-in trouble pauses the queue as "sign-in needed" until `signed_in_again()`.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from stat import S_ISREG
from typing import Any, Protocol

from thetadesk.core.api import Image360Client
from thetadesk.core.check_pool import (
    CheckOutcome,
    CheckPool,
    CheckPoolUnavailable,
    CheckRequest,
    recently_modified,
)
from thetadesk.core.content_hash import sha256_of_file
from thetadesk.core.errors import (
    ApiError,
    BadAnswer,
    Cancelled,
    FileChanged,
    FileUnreadable,
    PhotoTooLarge,
    ServerUnreachable,
    SignInRequired,
)
from thetadesk.core.inspection import Inspection, Verdict, inspect_file
from thetadesk.core.queue_store import (
    GPS_HELD_REASON,
    AddOutcome,
    ItemState,
    QueueItem,
    QueueStore,
    is_public,
    printable_path,
    reason_without_gps_hold,
)
from thetadesk.core.runner_lock import RunnerLock

log = logging.getLogger(__name__)

ENQUEUE_CHUNK = 64  # files added per queue transaction
CHECK_BATCH = 16  # files per round trip to a check process (and per queue transaction)


class QueueStatus(StrEnum):
    IDLE = "idle"  # not running (before run(), or after it returned)
    RUNNING = "running"
    PAUSED = "paused"  # the user paused everything
    WAITING_FOR_SERVER = "waiting_for_server"  # network trouble: backing off, then probing
    SIGN_IN_NEEDED = "sign_in_needed"
    STOPPED = "stopped"  # stop() or should_cancel: run() is returning


@dataclass(frozen=True)
class ItemChanged:
    """A queue row changed (state, reason, progress phase); `item` is the new row."""

    item: QueueItem


@dataclass(frozen=True)
class StatusChanged:
    """The queue as a whole changed status.

    `reason` is for people ("Cannot reach … (ConnectionRefusedError)"); `retry_at` is the
    wall-clock time (time.time()) of the next attempt while waiting for the server;
    `offline` says whether that wait is for a server that gave no answer at all (network
    down, server away) rather than one that answered with trouble (5xx, 429: busy).
    """

    status: QueueStatus
    reason: str = ""
    retry_at: float | None = None
    offline: bool = False


EngineEvent = ItemChanged | StatusChanged
EventCallback = Callable[[EngineEvent], None]
ProgressCallback = Callable[[int, int, int], None]
"""on_progress(item_id, bytes_sent, bytes_total), called as bytes leave."""


class Inspector(Protocol):
    def __call__(self, path: Path) -> Inspection: ...


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: initial, initial×factor, … up to `maximum` seconds.

    `jitter` is the random share of each delay, so many clients that lost the same server do
    not all come back in the same second. A server's Retry-After is a floor (capped, so a
    wrong header cannot park the queue for a day).
    """

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 300.0
    jitter: float = 0.5
    max_retry_after: float = 3600.0

    def delay(
        self,
        failures: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, failures - 1))
        delay = base * (1.0 - self.jitter) + base * self.jitter * rand()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay


MAX_PARALLEL_UPLOADS = 8  # the HTTP session keeps more connections than this (16)

# An upload the server already had (same bytes): its copy, with its own title,
# description and privacy, is the one that counts.
ALREADY_THERE = "already on the server; its title, description and privacy there are unchanged"


@dataclass(frozen=True)
class EngineSettings:
    parallel: int = 3
    settle_seconds: float = 2.0
    """A file modified this recently may still be being copied: wait until it is older."""
    max_server_errors: int = 5
    """5xx answers for one file before it fails (a server that breaks on that one file)."""
    max_mid_body_resets: int = 3
    """Connection resets in the middle of one file's body before it counts as too large."""
    backoff: Backoff = field(default_factory=Backoff)
    reject_needs_review: bool = False
    """needs_review files fail at once instead of waiting, held, for "upload anyway"."""
    hold_public_gps: bool = False
    """Photos that carry their GPS position and would be public wait, held, for "upload
    anyway" (or for the user to make them private): publishing one tells where it was
    taken. The window's default; the command line warns instead."""

    def __post_init__(self) -> None:
        if not 1 <= self.parallel <= MAX_PARALLEL_UPLOADS:
            raise ValueError(f"parallel uploads must be 1 to {MAX_PARALLEL_UPLOADS}")


@dataclass(frozen=True)
class RunResult:
    """How run() ended: IDLE (queue done), STOPPED, or SIGN_IN_NEEDED (with `reason`)."""

    status: QueueStatus
    counts: Mapping[ItemState, int]
    reason: str = ""


BASE_FIELDS: Mapping[str, str] = {
    "description": "",
    "attribution": "",
    "license_link": "",
    "date_taken": "",
    "camera_model": "",
    "category": "OTHER",
    "order": "1000",
}


def default_title(path: Path) -> str:
    """The file name without extension, as text the server can store.

    A Linux name that is not valid UTF-8 cannot go into a form field as it is; its bad
    bytes become U+FFFD.
    """
    return os.fsencode(path.stem).decode("utf-8", "replace")


class _Job:
    """One row a worker is busy with; `request` is the user's wish for it, if any."""

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        self.request: str | None = None  # "pause" or "cancel"


class _Outage:
    def __init__(self) -> None:
        self.failures = 0
        self.retry_at = 0.0  # time.monotonic()
        self.reason = ""
        self.offline = False  # no answer at all (else the server answered with trouble)


class UploadEngine:
    """Runs the queue rows of one (server, username) with `parallel` worker threads.

    Typical use::

        engine = UploadEngine(store, client, username, on_event=print)
        engine.enqueue(paths, fields={"category": "GIS"})
        result = engine.run()          # returns when the queue is idle (or stopped)

    The window calls `run(until_idle=False, wait_for_sign_in=True)` on its worker thread and
    `stop()` on quit; pause/resume/cancel/approve/retry/remove come from the GUI thread.
    """

    def __init__(
        self,
        store: QueueStore,
        client: Image360Client,
        username: str,
        *,
        settings: EngineSettings | None = None,
        on_event: EventCallback | None = None,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
        inspect: Inspector | None = None,
        lock_path: str | os.PathLike[str] | None = None,
        check_pool: CheckPool | None = None,
        on_inspected: Callable[[Path, Inspection], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.server = client.base_url
        self.username = username
        self.settings = settings or EngineSettings()
        self._on_event = on_event
        self._on_progress = on_progress
        self._should_cancel = should_cancel
        self._inspect: Inspector = inspect or inspect_file
        # With a pool, files are hashed and inspected in its processes, in batches, by the
        # "check" thread (`inspect` is then not called: `on_inspected` hears of each).
        self._check_pool = check_pool
        self._on_inspected = on_inspected
        self._pool_usable = check_pool is not None
        if lock_path is None and store.db_path != ":memory:":
            lock_path = store.db_path + ".lock"
        self._runner_lock = RunnerLock(lock_path) if lock_path is not None else None

        self._cond = threading.Condition()
        self._emit_lock = threading.RLock()
        self._running = False
        self._stopping = False
        self._user_paused = False
        self._sign_in_reason: str | None = None
        self._outage: _Outage | None = None
        self._failures_in_a_row = 0
        self._jobs: dict[int, _Job] = {}
        self._mid_body_resets: dict[int, int] = {}
        self._last_status: tuple[QueueStatus, str, float | None, bool] | None = None

    # -- public: queue contents ------------------------------------------------------------

    def enqueue(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        fields: Mapping[str, str] | None = None,
        allow_review: bool = False,
    ) -> list[tuple[QueueItem, AddOutcome]]:
        """Add files (or bring back failed/cancelled/changed ones). `fields` are the user's
        form values (title, description, …); camera_model and date_taken come from the file
        unless given. `allow_review` sends needs_review files instead of holding them."""
        return self.enqueue_each(((path, fields) for path in paths), allow_review=allow_review)

    def enqueue_each(
        self,
        entries: Iterable[tuple[str | os.PathLike[str], Mapping[str, str] | None]],
        *,
        allow_review: bool = False,
    ) -> list[tuple[QueueItem, AddOutcome]]:
        """`enqueue` with each file's own fields: (path, fields) pairs.

        Files go in ENQUEUE_CHUNK at a time, one transaction and one wake-up of the workers
        each, so a big drop neither waits for a transaction per file nor keeps taking the
        workers' lock from them; each chunk's rows are reported before the next is added.
        """
        results: list[tuple[QueueItem, AddOutcome]] = []
        pending = iter(entries)
        while chunk := list(itertools.islice(pending, ENQUEUE_CHUNK)):
            added = self.store.add_many(
                self.server, self.username, chunk, allow_review=allow_review
            )
            for item, outcome in added:
                if outcome is not AddOutcome.ALREADY:
                    self._emit(ItemChanged(item))
            self._wake()
            results += added
        return results

    def items(self) -> list[QueueItem]:
        """This account's rows, oldest first."""
        return self.store.items(self.server, self.username)

    def pause(self, item_id: int) -> None:
        """Pause one file (stopping its upload if it is going)."""
        if not self._request(item_id, "pause"):
            self._change(item_id, {ItemState.QUEUED, ItemState.READY}, state=ItemState.PAUSED)

    def resume(self, item_id: int) -> None:
        item = self.store.get(item_id)
        if item is not None and item.state is ItemState.PAUSED:
            state = ItemState.READY if item.sha256 else ItemState.QUEUED
            self._change(item_id, {ItemState.PAUSED}, state=state, reason="")

    def cancel(self, item_id: int) -> None:
        """Take one file out of this batch (it stays listed as cancelled; retry brings it back)."""
        if not self._request(item_id, "cancel"):
            waiting = {
                ItemState.QUEUED,
                ItemState.READY,
                ItemState.PAUSED,
                ItemState.HELD,
                ItemState.FAILED,
            }
            self._change(item_id, waiting, state=ItemState.CANCELLED, reason="cancelled")

    def set_fields(self, item_id: int, fields: Mapping[str, str]) -> bool:
        """Per-photo edits (title, description, …) before sending; False once it is going."""
        item = self.store.get(item_id)
        if item is None:
            return False
        editable = {
            ItemState.QUEUED,
            ItemState.READY,
            ItemState.HELD,
            ItemState.PAUSED,
            ItemState.FAILED,
        }
        new = {**item.fields, **fields}
        changes: dict[str, Any] = {"fields": new}
        if self.settings.hold_public_gps and not item.allow_review:
            # Made private, a photo held for its GPS position goes; made public, a checked
            # one with a GPS position is held (the check decided with the old fields).
            if (
                item.state is ItemState.HELD
                and item.reason.startswith(GPS_HELD_REASON)
                and not is_public(new)
            ):
                changes.update(state=ItemState.READY, reason=reason_without_gps_hold(item.reason))
            elif (
                item.state is ItemState.READY
                and is_public(new)
                and not is_public(item.fields)
                and self._inspect(item.path).has_gps
            ):
                changes.update(state=ItemState.HELD, reason=f"{GPS_HELD_REASON}; {item.reason}")
        return self._change(item_id, editable, **changes)

    def approve(self, item_id: int) -> None:
        """ "Upload anyway" for a file held for review."""
        self._change(item_id, {ItemState.HELD}, state=ItemState.READY, allow_review=True, reason="")

    def retry(self, item_ids: Iterable[int] | None = None) -> int:
        """Failed and cancelled files (all, or these) go back into the queue."""
        count = self.store.retry(item_ids)
        self._wake()
        return count

    def remove(self, item_ids: Iterable[int]) -> int:
        ids = list(item_ids)
        for item_id in ids:
            self._request(item_id, "cancel")
        return self.store.remove(ids)

    def clear_finished(self) -> int:
        return self.store.clear_finished()

    # -- public: the queue as a whole ------------------------------------------------------

    @property
    def status(self) -> QueueStatus:
        with self._cond:
            return self._status_locked()[0]

    def pause_all(self) -> None:
        """Stop sending: uploads in flight are interrupted and will start over on resume."""
        with self._status_change(), self._cond:
            self._user_paused = True
            self._cond.notify_all()

    def resume_all(self) -> None:
        with self._status_change(), self._cond:
            self._user_paused = False
            self._cond.notify_all()

    def cancel_all(self) -> int:
        """Cancel every file not finished yet, including those in flight."""
        with self._cond:
            for job in self._jobs.values():
                job.request = "cancel"
        waiting = {ItemState.QUEUED, ItemState.READY, ItemState.PAUSED, ItemState.HELD}
        count = 0
        for item in self.store.items(self.server, self.username, states=waiting):
            if self._change(item.id, waiting, state=ItemState.CANCELLED, reason="cancelled"):
                count += 1
        return count

    def retry_now(self) -> None:
        """While waiting for the server: try again at once instead of at the end of the wait."""
        with self._cond:
            if self._outage is not None:
                self._outage.retry_at = time.monotonic()
                self._cond.notify_all()

    def signed_in_again(self) -> None:
        """The client has fresh tokens (client.sign_in or resume_session): carry on."""
        with self._status_change(), self._cond:
            self._sign_in_reason = None
            self._cond.notify_all()

    def stop(self) -> None:
        """Make run() return soon; uploads in flight are interrupted and stay queued.

        Called before run() has started, the next run() returns at once: an engine
        replaced before its thread got to run it must never claim a row (it would check
        it with the old settings, and report to a listener nobody reads any more).
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def run(self, *, until_idle: bool = True, wait_for_sign_in: bool = False) -> RunResult:
        """Run the queue on this thread (plus `parallel` workers) until it is done or stopped.

        until_idle: return once nothing is left to do (the CLI); else run until stop().
        wait_for_sign_in: when sign-in is needed, wait for signed_in_again() (the window)
            instead of returning SIGN_IN_NEEDED (the CLI).
        Raises runner_lock.QueueBusy when another process is running this queue.
        """
        with self._cond:
            if self._stopping:  # stopped before it started
                self._stopping = False
                return RunResult(QueueStatus.STOPPED, {})
        if self._runner_lock is not None:
            self._runner_lock.acquire()
        try:
            recovered = self.store.recover_interrupted(self.server, self.username)
            if recovered:
                log.info("%d files were interrupted by the last run; carrying on", recovered)
            with self._cond:
                if self._stopping:  # stopped meanwhile
                    self._stopping = False
                    return RunResult(QueueStatus.STOPPED, {})
                self._running = True
                # A new run tries afresh: the caller may have signed in or fixed the network.
                # A client without any token cannot upload: say so before trying (files
                # are still checked meanwhile).
                self._sign_in_reason = (
                    None if self.client.tokens.signed_in else "Sign-in needed: not signed in."
                )
                self._outage = None
            self._emit_status()
            workers = [
                threading.Thread(target=self._worker, name=f"upload-{n + 1}", daemon=True)
                for n in range(self.settings.parallel)
            ]
            # One more that only checks: the next files are hashed and inspected while
            # others are being sent, so even one stream never waits for a check. With a
            # check pool it is the only one that checks, in batches.
            check = self._check_batches if self._pool_usable else self._worker
            workers.append(
                threading.Thread(
                    target=check, kwargs={"checks_only": True}, name="check", daemon=True
                )
            )
            for worker in workers:
                worker.start()
            try:
                reason = self._supervise(until_idle=until_idle, wait_for_sign_in=wait_for_sign_in)
            finally:
                with self._cond:
                    self._stopping = True
                    self._cond.notify_all()
                if self._check_pool is not None:
                    # Batches under way end at their next read, not after a slow disk.
                    self._check_pool.interrupt()
                for worker in workers:
                    worker.join()
            final = self._final_status()
            self._emit(StatusChanged(final, reason))
            with self._cond:
                self._running = False
                self._stopping = False
                self._last_status = None
            counts: dict[ItemState, int] = {}
            for item in self.items():
                counts[item.state] = counts.get(item.state, 0) + 1
            return RunResult(final, counts, reason)
        finally:
            if self._runner_lock is not None:
                self._runner_lock.release()

    # -- supervision -----------------------------------------------------------------------

    def _final_status(self) -> QueueStatus:
        with self._cond:
            if self._sign_in_reason is not None:
                return QueueStatus.SIGN_IN_NEEDED
        work = self.store.count_work(self.server, self.username)
        return QueueStatus.IDLE if work == 0 else QueueStatus.STOPPED

    def _supervise(self, *, until_idle: bool, wait_for_sign_in: bool) -> str:
        while True:
            probe = False
            with self._cond:
                if self._stopping or self._cancelled_from_outside():
                    return "stopped"
                if self._sign_in_reason is not None and not wait_for_sign_in:
                    if not self._jobs:
                        return self._sign_in_reason
                    timeout: float | None = 0.5
                elif self._outage is not None and self._sign_in_reason is None:
                    wait = self._outage.retry_at - time.monotonic()
                    if wait <= 0 and not self._user_paused:
                        probe = True
                    timeout = max(0.0, min(wait, 0.5))
                elif until_idle and self._idle_locked():
                    return ""
                else:
                    timeout = 0.5  # also notices rows another process added
                if not probe:
                    self._cond.wait(timeout)
                    continue
            self._probe()

    def _idle_locked(self) -> bool:
        if self._jobs or self._user_paused:
            return False
        return self.store.count_work(self.server, self.username) == 0

    def _cancelled_from_outside(self) -> bool:
        return self._should_cancel is not None and self._should_cancel()

    def _probe(self) -> None:
        """Is the server back? One cheap authenticated request decides."""
        try:
            self.client.check_session()
        except SignInRequired as exc:
            self._need_sign_in(str(exc))
        except ApiError as exc:
            if exc.retryable:
                self._network_trouble(exc, new_failure=True)
                return
            self._server_answered()  # it answered, if oddly: let the uploads say what is wrong
        else:
            self._server_answered()

    def _network_trouble(self, exc: ApiError, *, new_failure: bool = False) -> None:
        with self._status_change():
            with self._cond:
                now = time.monotonic()
                outage = self._outage
                if outage is not None and not new_failure and now < outage.retry_at:
                    return  # the same outage, reported by another worker
                if outage is None:
                    outage = self._outage = _Outage()
                outage.failures += 1
                delay = self.settings.backoff.delay(outage.failures, exc.retry_after)
                outage.retry_at = now + delay
                outage.reason = str(exc)
                outage.offline = isinstance(exc, ServerUnreachable)
                self._cond.notify_all()
            log.info("server trouble (%s); trying again in %.1f s", exc, delay)

    def _server_answered(self) -> None:
        with self._status_change():
            with self._cond:
                if self._outage is None:
                    return
                self._outage = None
                self._cond.notify_all()
            log.info("the server answers again; resuming")

    def _need_sign_in(self, reason: str) -> None:
        with self._status_change():
            with self._cond:
                first = self._sign_in_reason is None
                self._sign_in_reason = reason or "Sign-in needed"
                self._outage = None
                self._cond.notify_all()
            if first:
                log.info("queue paused: %s", reason)

    def _status_locked(self) -> tuple[QueueStatus, str, float | None, bool]:
        if not self._running:
            return QueueStatus.IDLE, "", None, False
        if self._stopping:
            return QueueStatus.STOPPED, "", None, False
        if self._sign_in_reason is not None:
            return QueueStatus.SIGN_IN_NEEDED, self._sign_in_reason, None, False
        if self._user_paused:
            return QueueStatus.PAUSED, "paused", None, False
        if self._outage is not None:
            retry_at = time.time() + max(0.0, self._outage.retry_at - time.monotonic())
            outage = self._outage
            return QueueStatus.WAITING_FOR_SERVER, outage.reason, retry_at, outage.offline
        return QueueStatus.RUNNING, "", None, False

    @contextmanager
    def _status_change(self) -> Iterator[None]:
        """Wrap a change of what status() reports, then report it.

        The change and its event happen under one lock, so events come out in the order of
        the changes and none is lost: otherwise a worker whose upload succeeded could clear
        a brief outage before the worker that hit it had reported it, and nobody would learn
        why that file was sent again.
        """
        with self._emit_lock:
            try:
                yield
            finally:
                self._emit_status()

    def _emit_status(self) -> None:
        with self._emit_lock:
            with self._cond:
                current = self._status_locked()
                if self._last_status is not None and current[:2] == self._last_status[:2]:
                    if current[2] == self._last_status[2]:
                        return
                self._last_status = current
            self._emit(StatusChanged(*current))

    def _emit(self, event: EngineEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # a broken listener must not break the queue
            log.exception("on_event callback failed")

    # -- workers ---------------------------------------------------------------------------

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _next_item(self, checks_only: bool = False) -> tuple[QueueItem, _Job] | None:
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if not self._user_paused:
                    # Without the server, files can still be checked (the user sees verdicts).
                    uploads = (
                        not checks_only and self._sign_in_reason is None and self._outage is None
                    )
                    # The check pool's thread does the checks while the pool works.
                    checks = checks_only or not self._pool_usable
                    item = self.store.claim_next(
                        self.server, self.username, uploads=uploads, checks=checks
                    )
                    if item is not None:
                        job = self._jobs[item.id] = _Job(item.id)
                        return item, job
                self._cond.wait(0.5)

    def _worker(self, checks_only: bool = False) -> None:
        while (claimed := self._next_item(checks_only)) is not None:
            item, job = claimed
            self._emit(ItemChanged(item))
            try:
                if item.state is ItemState.CHECKING:
                    self._check(item, job)
                else:
                    self._upload(item, job)
            except Exception as exc:  # a bug must not lose the row: fail it visibly
                log.exception("unexpected error with %s", printable_path(item.path))
                self._finish(
                    item,
                    state=ItemState.FAILED,
                    reason=f"unexpected error ({type(exc).__name__}); details in the log",
                    retryable=True,
                )
            finally:
                self._forget(item.id, job)

    def _forget(self, item_id: int, job: _Job) -> None:
        """This job is over. Only its own entry goes: once the row was recorded `ready`,
        an upload worker may have claimed it already, and that job must stay reachable
        (pause, cancel) and keep run() from returning while it is sent."""
        with self._cond:
            if self._jobs.get(item_id) is job:
                del self._jobs[item_id]
            self._cond.notify_all()

    def _interrupted(self, job: _Job) -> bool:
        # Called for every chunk sent: keep it cheap, no lock (reads of plain attributes).
        return (
            job.request is not None
            or self._stopping
            or self._user_paused
            or self._cancelled_from_outside()
        )

    def _request(self, item_id: int, request: str) -> bool:
        with self._cond:
            job = self._jobs.get(item_id)
            if job is None:
                return False
            job.request = request
            return True

    def _change(self, item_id: int, expect: set[ItemState], **changes: Any) -> bool:
        item = self.store.update(item_id, expect=expect, **changes)
        if item is None:
            return False
        self._emit(ItemChanged(item))
        self._wake()
        return True

    def _finish(self, item: QueueItem, **changes: Any) -> QueueItem | None:
        """Record what became of an in-flight row (unless someone removed it meanwhile)."""
        updated = self.store.update(item.id, expect={item.state}, **changes)
        if updated is not None:
            self._emit(ItemChanged(updated))
            log.info(
                "%s: %s%s",
                printable_path(updated.path),
                updated.state.value,
                f" ({updated.reason})" if updated.reason else "",
            )
        return updated

    def _after_interruption(self, item: QueueItem, job: _Job, **changes: Any) -> None:
        if job.request == "cancel":
            self._finish(item, state=ItemState.CANCELLED, reason="cancelled", **changes)
        elif job.request == "pause":
            self._finish(item, state=ItemState.PAUSED, reason="paused", **changes)
        else:  # pause all, stop, quit: back in line
            back = ItemState.QUEUED if item.state is ItemState.CHECKING else ItemState.READY
            self._finish(item, state=back, **changes)

    def _wait(self, seconds: float, job: _Job) -> None:
        """Sleep that ends early when the job is interrupted (raises Cancelled then)."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._interrupted(job):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.5))
        raise Cancelled("interrupted")

    # -- checking --------------------------------------------------------------------------

    def _settled_stat(self, item: QueueItem, job: _Job) -> os.stat_result:
        """Wait until the file stops changing: old enough, or unchanged for a while."""
        settle = self.settings.settle_seconds
        last: tuple[int, int] | None = None
        stable_since = 0.0
        told = False
        while True:
            stat = os.stat(item.path)
            now = time.time()
            key = (stat.st_size, stat.st_mtime_ns)
            if key != last:
                last, stable_since = key, now
            age = now - stat.st_mtime_ns / 1e9
            recent = recently_modified(stat.st_mtime_ns, now, settle)
            if not recent or now - stable_since >= settle:
                return stat
            if not told:
                told = True
                updated = self.store.update(
                    item.id, expect={ItemState.CHECKING}, reason="waiting: still being written"
                )
                if updated is not None:
                    self._emit(ItemChanged(updated))
            left = min(settle - age, settle - (now - stable_since))
            self._wait(max(0.02, left), job)

    def _hash(self, path: Path, job: _Job) -> str:
        sha256 = sha256_of_file(path, lambda: self._interrupted(job))
        if sha256 is None:
            raise Cancelled("interrupted")
        return sha256

    def _check(self, item: QueueItem, job: _Job) -> None:
        try:
            while True:
                stat = self._settled_stat(item, job)
                key = (stat.st_size, stat.st_mtime_ns)
                if not S_ISREG(stat.st_mode):
                    sha256 = ""  # a pipe or a device: never opened (see check_pool.check_one)
                    break
                if item.sha256 and key == (item.size, item.mtime_ns):
                    sha256 = item.sha256  # computed once: unchanged since
                    break
                sha256 = self._hash(item.path, job)
                after = os.stat(item.path)
                if (after.st_size, after.st_mtime_ns) == key:
                    break  # else it changed while being read: wait and read it again
            inspection = self._inspect(item.path)
        except Cancelled:
            self._after_interruption(item, job)
            return
        except FileNotFoundError:
            self._finish(item, state=ItemState.FAILED, reason="the file is gone", retryable=False)
            return
        except OSError as exc:
            self._finish(
                item,
                state=ItemState.FAILED,
                reason=f"cannot read the file: {exc.strerror or exc}",
                retryable=True,
            )
            return

        self._complete(
            [self._check_result(item, inspection, sha256, stat.st_size, stat.st_mtime_ns)]
        )

    def _check_result(
        self, item: QueueItem, inspection: Inspection, sha256: str, size: int, mtime_ns: int
    ) -> dict[str, Any]:
        """What a finished check of these bytes records (complete_checks' arguments)."""
        verdict = inspection.verdict
        reason = "; ".join(inspection.reasons)
        if verdict.uploadable or (verdict is Verdict.NEEDS_REVIEW and item.allow_review):
            state = ItemState.READY
        elif verdict is Verdict.NEEDS_REVIEW and not self.settings.reject_needs_review:
            state = ItemState.HELD
        elif verdict is Verdict.NEEDS_REVIEW:
            state = ItemState.FAILED  # the user chose never to send these
            reason = f"needs review, not sent (your settings reject these): {reason}"
        else:
            state = ItemState.FAILED  # rejected: retrying the same bytes cannot help
        if (
            state is ItemState.READY
            and self._holds_for_gps(item, inspection)
            and not (item.unclear and item.photo_id is not None)
        ):
            # (An uploaded file added again is held only if the server turns out not to
            # have it any more: see _upload.)
            state = ItemState.HELD
            reason = f"{GPS_HELD_REASON}; {reason}" if reason else GPS_HELD_REASON
        derived = {
            "camera_model": inspection.camera_code,
            "date_taken": inspection.date_taken or "",
        }
        fields = {**derived, **{k: v for k, v in item.fields.items() if k not in derived}}
        for key_name in derived:  # the user's own value wins when it was given
            if item.fields.get(key_name):
                fields[key_name] = item.fields[key_name]
        return {
            "item_id": item.id,
            "sha256": sha256,
            "size": size,
            "mtime_ns": mtime_ns,
            "verdict": verdict.value,
            "state": state,
            "reason": reason,
            "fields": fields,
        }

    def _holds_for_gps(self, item: QueueItem, inspection: Inspection) -> bool:
        return (
            self.settings.hold_public_gps
            and inspection.has_gps
            and is_public(item.fields)
            and not item.allow_review
        )

    def _complete(self, results: list[dict[str, Any]]) -> None:
        for updated in self.store.complete_checks(results):
            if updated is not None:
                self._emit(ItemChanged(updated))

    # -- checking in a process pool --------------------------------------------------------

    def _claim_checks(self, block: bool) -> list[tuple[QueueItem, _Job]] | None:
        """Up to CHECK_BATCH queued rows, now `checking`; None when stopping. Waits for
        work only with `block`."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if not self._user_paused:
                    items = self.store.claim_checks(self.server, self.username, CHECK_BATCH)
                    if items:
                        claimed = []
                        for item in items:
                            job = self._jobs[item.id] = _Job(item.id)
                            claimed.append((item, job))
                        return claimed
                if not block:
                    return []
                self._cond.wait(0.5)

    def _check_batches(self, checks_only: bool = True) -> None:
        """The check thread with a pool: keeps every pool process busy with a batch (and
        one more queued for each), and records each batch in one transaction."""
        assert self._check_pool is not None
        pool = self._check_pool
        in_flight: list[tuple[Any, list[tuple[QueueItem, _Job]]]] = []
        stopping = False
        while True:
            while not stopping and len(in_flight) < 2 * pool.processes:
                claimed = self._claim_checks(block=not in_flight)
                if claimed is None:
                    stopping = True
                    break
                if not claimed:
                    break
                # The claims are not reported one by one: queued and checking look the
                # same to a user, and the result follows within a batch's time.
                requests = [
                    CheckRequest(
                        item.path,
                        self.settings.settle_seconds,
                        (item.sha256, item.size, item.mtime_ns)
                        if item.sha256 and item.size is not None and item.mtime_ns is not None
                        else None,
                    )
                    for item, _job in claimed
                ]
                try:
                    future = pool.submit(requests)
                except CheckPoolUnavailable:
                    self._checks_without_pool(claimed)
                    continue
                in_flight.append((future, claimed))
            if not in_flight:
                if stopping or not self._pool_usable:
                    break
                continue
            future, claimed = in_flight.pop(0)
            try:
                outcomes = pool.result(future)
            except CheckPoolUnavailable:
                self._checks_without_pool(claimed)
                continue
            try:
                self._record_batch(claimed, outcomes)
            except Exception:  # the queue file (disk full, locked): this thread goes on
                log.exception("could not record %d checked files; checking them here", len(claimed))
                self._check_again_here(claimed)
        if not self._pool_usable and not stopping:
            self._worker(checks_only=True)  # carry on checking here, one file at a time

    def _checks_without_pool(self, claimed: list[tuple[QueueItem, _Job]]) -> None:
        with self._cond:
            self._pool_usable = False  # upload workers check too from now on
            self._cond.notify_all()
        for item, job in claimed:
            self._check_here(item, job)

    def _check_again_here(self, claimed: list[tuple[QueueItem, _Job]]) -> None:
        """After recording a batch failed: each of its rows still `checking` is checked on
        this thread, one at a time (the others were recorded before the failure)."""
        for item, job in claimed:
            current = self.store.get(item.id)
            if current is None or current.state is not ItemState.CHECKING:
                self._forget(item.id, job)
                continue
            with self._cond:
                self._jobs[item.id] = job  # pause and cancel reach it again
            self._check_here(current, job)

    def _check_here(self, item: QueueItem, job: _Job) -> None:
        """One claimed row checked on this thread, the way the other workers do."""
        try:
            self._check(item, job)
        except Exception as exc:  # a bug must not lose the row: fail it visibly
            log.exception("unexpected error with %s", printable_path(item.path))
            self._finish(
                item,
                state=ItemState.FAILED,
                reason=f"unexpected error ({type(exc).__name__}); details in the log",
                retryable=True,
            )
        finally:
            self._forget(item.id, job)

    def _record_batch(
        self, claimed: list[tuple[QueueItem, _Job]], outcomes: list[CheckOutcome]
    ) -> None:
        results: list[dict[str, Any]] = []
        slow: list[tuple[QueueItem, _Job]] = []
        try:
            for (item, job), outcome in zip(claimed, outcomes, strict=True):
                for line in outcome.log:  # from the check process, which has no log file
                    log.warning("checking %s: %s", printable_path(item.path), line)
                if job.request is not None:
                    self._after_interruption(item, job)
                elif outcome.status == "done" and outcome.inspection is not None:
                    if self._on_inspected is not None:
                        try:
                            self._on_inspected(item.path, outcome.inspection)
                        except Exception:
                            log.exception("on_inspected callback failed")
                    results.append(
                        self._check_result(
                            item, outcome.inspection, outcome.sha256, outcome.size, outcome.mtime_ns
                        )
                    )
                elif outcome.status == "stopped":  # the engine is stopping: back in line
                    self._after_interruption(item, job)
                elif outcome.status == "gone":
                    self._finish(
                        item, state=ItemState.FAILED, reason="the file is gone", retryable=False
                    )
                elif outcome.status == "error":
                    self._finish(
                        item,
                        state=ItemState.FAILED,
                        reason=f"cannot read the file: {outcome.error}",
                        retryable=True,
                    )
                else:  # still being written, or changed while read: wait for it here
                    slow.append((item, job))
            self._complete(results)
        finally:
            waiting = {item.id for item, _job in slow}
            for item, job in claimed:
                if item.id not in waiting:
                    self._forget(item.id, job)
        for item, job in slow:
            self._check_here(item, job)

    # -- uploading -------------------------------------------------------------------------

    def _form_fields(self, item: QueueItem) -> dict[str, str]:
        fields = {**BASE_FIELDS, **{k: str(v) for k, v in item.fields.items() if v is not None}}
        if not fields.get("title"):
            fields["title"] = default_title(item.path)
        return fields

    def _upload(self, item: QueueItem, job: _Job) -> None:
        try:
            stat = os.stat(item.path)
        except FileNotFoundError:
            self._finish(item, state=ItemState.FAILED, reason="the file is gone", retryable=False)
            return
        except OSError as exc:
            self._finish(
                item, state=ItemState.FAILED, reason=f"cannot read the file: {exc.strerror}"
            )
            return
        if (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns) or not item.sha256:
            self._finish(
                item, state=ItemState.QUEUED, sha256=None, reason="changed; checking again"
            )
            return

        if item.unclear:
            # The last attempt may have reached the server: never send a second copy.
            try:
                existing = self.client.find_by_sha256(item.sha256, photo_id=item.photo_id)
            except ApiError as exc:
                self._upload_failed(item, exc)
                return
            if existing is not None:
                self._succeeded(item, existing, reason=ALREADY_THERE)
                return
            if item.photo_id is not None and self._holds_for_gps(item, self._inspect(item.path)):
                # Uploaded once, deleted from the server since, added again: sending it
                # would publish its position again; ask first, as for any such photo.
                self._finish(
                    item,
                    state=ItemState.HELD,
                    reason=f"{GPS_HELD_REASON}; it is no longer on the server",
                )
                return

        def progress(sent: int, total: int) -> None:
            if self._on_progress is not None:
                self._on_progress(item.id, sent, total)

        # The count only: the row is durably `uploading` since it was claimed.
        self.store.update(
            item.id, expect={ItemState.UPLOADING}, durable=False, attempts=item.attempts + 1
        )
        try:
            photo = self.client.upload_photo(
                item.path,
                self._form_fields(item),
                on_progress=progress,
                should_cancel=lambda: self._interrupted(job),
                # Parallel streams: each photo on a new connection, taken by the least busy
                # server process, rather than pinned to whichever took the stream first.
                fresh_connection=self.settings.parallel > 1,
                # The bytes that were hashed and inspected, or none (FileChanged below).
                expect=(item.size, item.mtime_ns)
                if item.size is not None and item.mtime_ns is not None
                else None,
            )
        except Cancelled:
            # The body may have been complete when the flag was seen: treat as unclear.
            self._after_interruption(item, job, unclear=True)
            return
        except FileChanged:
            # Abandoned before the body was complete, so not stored; check the new bytes.
            self._finish(
                item,
                state=ItemState.QUEUED,
                sha256=None,
                unclear=True,
                reason="changed while being sent; checking again",
            )
            return
        except ApiError as exc:
            self._upload_failed(item, exc, sent=True)
            return
        except (OSError, FileUnreadable) as exc:
            # Part of the body may have gone: unclear, so a retry asks the server first.
            self._finish(
                item,
                state=ItemState.FAILED,
                reason=f"cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                retryable=True,
                unclear=True,
            )
            return
        self._succeeded(item, photo, reason=ALREADY_THERE if photo.already_there else "")

    def _succeeded(self, item: QueueItem, photo: Mapping[str, Any], reason: str = "") -> None:
        photo_id = photo.get("id")
        if not isinstance(photo_id, int) or isinstance(photo_id, bool):
            # The API lets a server answer an upload with any 2xx body: it is up, only
            # without the id (which nothing here needs to go on).
            photo_id = None
            reason = reason or "the server's answer gave no photo id"
        self._finish(
            item,
            state=ItemState.UPLOADED,
            photo_id=photo_id,
            reason=reason,
            unclear=False,
            retryable=False,
        )
        with self._cond:
            self._mid_body_resets.pop(item.id, None)
        self._server_answered()

    def _upload_failed(self, item: QueueItem, exc: ApiError, *, sent: bool = False) -> None:
        # After a send, anything but a clear refusal leaves us unsure whether it arrived.
        unclear = item.unclear or sent
        if isinstance(exc, SignInRequired):
            # A 401 (or no token at all) is a clear refusal: nothing was stored.
            # The tile says why it waits; a new sign-in sends it with the others. Paused
            # before the row is ready again, or an idle worker could take it at once.
            self._need_sign_in(str(exc))
            self._finish(item, state=ItemState.READY, unclear=item.unclear, reason=str(exc))
            return
        if isinstance(exc, PhotoTooLarge) or not exc.retryable:
            self._finish(item, state=ItemState.FAILED, reason=str(exc), retryable=False)
            return
        if isinstance(exc, ServerUnreachable) and exc.mid_body:
            with self._cond:
                resets = self._mid_body_resets.get(item.id, 0) + 1
                self._mid_body_resets[item.id] = resets
            if resets >= self.settings.max_mid_body_resets:
                self._finish(
                    item,
                    state=ItemState.FAILED,
                    reason="Too large for this server (it closed the connection while "
                    "receiving the photo)",
                    retryable=False,
                    unclear=True,
                )
                return
        # The queue waits (backoff, the server's Retry-After) from before the row is ready
        # again: the other way round, an idle worker could take the row and send it at once.
        self._network_trouble(exc)
        # A server that keeps answering one file's requests with errors or with nonsense
        # (an HTML page, an empty body) fails that file in the end instead of pausing the
        # queue forever.
        if isinstance(exc, BadAnswer) or (exc.status is not None and exc.status >= 500):
            errors = item.server_errors + 1
            if errors >= self.settings.max_server_errors:
                self._finish(
                    item,
                    state=ItemState.FAILED,
                    reason=f"the server kept failing on this file: {exc}",
                    retryable=True,
                    server_errors=errors,
                    unclear=unclear,
                )
                return
            self._finish(
                item,
                state=ItemState.READY,
                server_errors=errors,
                unclear=unclear,
                reason=f"will retry: {exc}",
            )
        else:
            self._finish(item, state=ItemState.READY, unclear=unclear, reason=f"will retry: {exc}")
