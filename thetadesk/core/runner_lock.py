"""At most one process runs a queue file at a time.

Crash recovery (rows left `uploading` go back to `ready`) is only right when nobody else is
uploading them, so the engine holds an OS file lock beside the database while it runs. The
OS drops the lock when the process dies, kill -9 included, so a stale lock cannot block.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO


class QueueBusy(Exception):
    """Another thetadesk process is running this queue."""


class RunnerLock:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock without waiting; raise QueueBusy when another process holds it."""
        if self._file is not None:
            return
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise QueueBusy(
                "Another thetadesk is uploading this queue; files added here will go with it."
            ) from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            try:
                _unlock(self._file)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> RunnerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
