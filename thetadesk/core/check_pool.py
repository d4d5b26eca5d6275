"""Checks (SHA-256 and inspection) in worker processes, so they never hold the caller's GIL.

The window's GUI thread shares one interpreter with the upload engine; a check is ~0.5 ms
of pure Python per file, and thousands of them in engine threads kept the GUI thread
waiting for the GIL (a 2,000-file drop: ~6 s, stalls of 0.1-0.3 s). In a process pool the
engine's threads only wait on futures (no GIL held), and the checks use every core.

The pool uses the "spawn" start method everywhere (a fork of a process that runs Qt and
engine threads is not safe), which is also what Windows and macOS do, and what a frozen
build supports once its entry point calls `multiprocessing.freeze_support()`. Spawn
imports the parent's main module in each process (except a package's `__main__`, as in
`python -m thetadesk.gui`): a script that opens the window must do so under
`if __name__ == "__main__":`. Its processes start at the first batch, not before (each
costs ~0.15 s of CPU to start and ~23 MB resident). If the pool cannot be used (it broke, or
processes cannot be started), `CheckPool.check` raises `CheckPoolUnavailable` and the
engine checks in its own threads as before.

Nothing here changes a file: it is opened for reading only.
"""

from __future__ import annotations

import copyreg
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from stat import S_ISREG
from types import MappingProxyType
from typing import Any

from thetadesk.core.content_hash import sha256_of_file
from thetadesk.core.inspection import Inspection, inspect_file

log = logging.getLogger(__name__)

WORKER_NICENESS = 10


class CheckPoolUnavailable(Exception):
    """The pool cannot check files (broken, shut down, or processes cannot start)."""


@dataclass(frozen=True)
class CheckRequest:
    """One file to check. `known` is (sha256, size, mtime_ns) from an earlier check: the hash
    is not computed again while the file's size and mtime are unchanged."""

    path: Path
    settle_seconds: float
    known: tuple[str, int, int] | None = None


@dataclass(frozen=True)
class CheckOutcome:
    """What a worker process found. `status`:

    - "done": `sha256`, `size`, `mtime_ns` and `inspection` are set;
    - "unsettled": the file was modified too recently, or changed while it was read (it may
      still be being copied): the caller checks it the slow way, waiting for it to settle;
    - "gone": the file does not exist; "error": it cannot be read (`error` says why);
    - "stopped": the pool was interrupted (the engine is stopping) before this file was
      done: it is checked again next time.
    """

    path: Path
    status: str
    sha256: str = ""
    size: int = 0
    mtime_ns: int = 0
    inspection: Inspection | None = None
    error: str = ""
    # What the worker process logged (warnings and worse) while checking this file: its
    # traceback if inspection failed unexpectedly. A spawned process has no log file of
    # its own (and a windowed app no stderr), so the caller logs these.
    log: tuple[str, ...] = ()


def _read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    # By a function of this module: the type itself has no importable name to pickle.
    return _read_only, (dict(proxy),)


# An Inspection's GPano fields are a read-only MappingProxyType, which pickle cannot send
# by itself: it goes as a dict and comes back as a MappingProxyType over it. (Only adds
# what pickle refused before: nothing else pickles differently.)
copyreg.pickle(MappingProxyType, _mapping_proxy)  # type: ignore[arg-type]


# A modification time further ahead of the clock than this is a clock set wrong (a camera's,
# or files copied with their times kept), not a file being written now.
FUTURE_TOLERANCE_SECONDS = 1.0


def recently_modified(mtime_ns: int, now: float, settle_seconds: float) -> bool:
    """Was the file modified within the last `settle_seconds` (it may still be being
    written)? A time in the future does not count: waiting for it to be old enough could
    take hours, and whether the file changes while it is read is checked anyway."""
    age = now - mtime_ns / 1e9
    return -FUTURE_TOLERANCE_SECONDS <= age < settle_seconds


# Set in a worker process by its pool's interrupt(): a batch under way ends at its next
# 1 MB read instead of hashing the rest of its files (a slow network share: minutes).
_interrupted: Any = None


def _stopping() -> bool:
    return _interrupted is not None and _interrupted.is_set()


def check_one(request: CheckRequest) -> CheckOutcome:
    """Stat, hash and inspect one file (runs in a worker process, or anywhere)."""
    path = request.path
    if _stopping():
        return CheckOutcome(path, "stopped")
    try:
        stat = os.stat(path)
        key = (stat.st_size, stat.st_mtime_ns)
        if not S_ISREG(stat.st_mode):
            # A pipe or a device named .JPG: opening it to hash it could wait for ever for
            # a writer. Inspection rejects it without opening it.
            return CheckOutcome(path, "done", size=key[0], mtime_ns=key[1],
                                inspection=inspect_file(path))  # fmt: skip
        if recently_modified(stat.st_mtime_ns, time.time(), request.settle_seconds):
            return CheckOutcome(path, "unsettled")
        if request.known is not None and request.known[1:] == key:
            sha256 = request.known[0]
        else:
            hashed = sha256_of_file(path, _stopping)
            if hashed is None:
                return CheckOutcome(path, "stopped")
            sha256 = hashed
            after = os.stat(path)
            if (after.st_size, after.st_mtime_ns) != key:
                return CheckOutcome(path, "unsettled")
        inspection = inspect_file(path)
    except FileNotFoundError:
        return CheckOutcome(path, "gone")
    except OSError as exc:
        return CheckOutcome(path, "error", error=exc.strerror or str(exc))
    return CheckOutcome(
        path, "done", sha256=sha256, size=key[0], mtime_ns=key[1], inspection=inspection
    )


class _Collector(logging.Handler):
    """In a worker process: the records of the file being checked, for its outcome."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))  # with the traceback, if there is one
        except Exception:  # noqa: BLE001 - logging must never break a check
            self.handleError(record)


_collector: _Collector | None = None


def check_many(requests: Sequence[CheckRequest]) -> list[CheckOutcome]:
    """`check_one` for each: one round trip to a worker process per batch. In a worker,
    what was logged while checking a file goes back with its outcome."""
    outcomes = []
    for request in requests:
        outcome = check_one(request)
        if _collector is not None and _collector.lines:
            outcome = replace(outcome, log=tuple(_collector.lines))
            _collector.lines.clear()
        outcomes.append(outcome)
    return outcomes


def collect_worker_logs() -> None:
    """Make this (worker) process keep what it logs for the outcomes (see check_many)."""
    global _collector
    if _collector is None:
        _collector = _Collector()
        logging.getLogger().addHandler(_collector)


def _start_worker(interrupted: Any = None) -> None:
    """Runs first in each worker process: checks run at a lower CPU priority than the app
    (POSIX nice 10), so on a machine with few cores the window's own threads get a core
    first when they need one, and the checks use what is left. `interrupted`: the pool's
    Event that interrupt() sets."""
    global _interrupted
    _interrupted = interrupted
    collect_worker_logs()
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:
            pass


class CheckPool:
    """A lazily started process pool for `check_many` batches. Thread-safe."""

    def __init__(self, processes: int | None = None) -> None:
        self._processes = processes or max(1, min(4, os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._interrupted: Any = None  # the workers' Event (see interrupt())
        self._broken = False
        self._closed = False

    @property
    def processes(self) -> int:
        return self._processes

    def submit(self, requests: Sequence[CheckRequest]) -> Future[list[CheckOutcome]]:
        """Start checking a batch; raises CheckPoolUnavailable when the pool cannot."""
        with self._lock:
            if self._closed or self._broken:
                raise CheckPoolUnavailable("the check pool is not available")
            try:
                if self._executor is None:
                    context = multiprocessing.get_context("spawn")
                    self._interrupted = context.Event()
                    self._executor = ProcessPoolExecutor(
                        self._processes,
                        mp_context=context,
                        initializer=_start_worker,
                        initargs=(self._interrupted,),
                    )
                elif self._interrupted.is_set():
                    self._interrupted.clear()  # a new run: the batches it sends are wanted
                return self._executor.submit(check_many, list(requests))
            except Exception as exc:  # noqa: BLE001 - whatever it is, check in threads
                self._broken = True
                log.warning("checking in threads: the check pool cannot start (%s)", exc)
                raise CheckPoolUnavailable(str(exc)) from exc

    def result(self, future: Future[list[CheckOutcome]]) -> list[CheckOutcome]:
        """The batch's outcomes; raises CheckPoolUnavailable if the pool broke meanwhile."""
        try:
            outcomes = future.result()
        except (BrokenProcessPool, CancelledError, OSError, RuntimeError, EOFError) as exc:
            with self._lock:
                self._broken = True
            log.warning("checking in threads: the check pool broke (%s)", exc)
            raise CheckPoolUnavailable(str(exc)) from exc
        except Exception as exc:  # a batch that cannot come back (a bug): never again
            with self._lock:
                self._broken = True
            log.exception("checking in threads: a check batch failed")
            raise CheckPoolUnavailable(str(exc)) from exc
        return outcomes

    def interrupt(self) -> None:
        """Batches under way end soon, their files not done reported "stopped" (until the
        next submit). For a stop: nobody waits for a slow disk to be read to the end."""
        with self._lock:
            if self._interrupted is not None:
                self._interrupted.set()

    def shutdown(self) -> None:
        """Stop the processes (batches not started are dropped; running ones are
        interrupted)."""
        self.interrupt()
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
