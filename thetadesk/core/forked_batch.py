"""Share a batch of chunks with forked copies of this process (Linux, single-threaded only).

Cheap enough for a few hundred photos, where a multiprocessing pool costs more than it saves
(its modules alone take ~20 ms to import): a fork takes about a millisecond, chunks are
claimed through two counters in a memfd under a POSIX record lock, and each helper sends its
results back at the end, marshalled, through a pipe of its own.

Helpers take chunks from the front, this process from the back, so the batch ends when they
meet, whatever the machine's load. A record lock is let go of by the kernel when its holder
dies, so a helper killed while claiming cannot stall the others; the chunks it took simply
come back without a result, and the caller does them itself.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import signal
import struct
from collections.abc import Callable, Sequence

Chunk = Sequence[object]  # one chunk of the batch, as the caller made it
_COUNTERS = struct.Struct("=qq")  # the next chunk from the front, the next from the back


class _Claims:
    """Which chunk each process does next; shared across fork through one memfd."""

    def __init__(self, count: int) -> None:
        self._fd = os.memfd_create("thetadesk-claims", os.MFD_CLOEXEC)
        os.pwrite(self._fd, _COUNTERS.pack(0, count - 1), 0)

    def _take(self, from_front: bool) -> int | None:
        fcntl.lockf(self._fd, fcntl.LOCK_EX)
        try:
            front, back = _COUNTERS.unpack(os.pread(self._fd, _COUNTERS.size, 0))
            if front > back:
                return None
            if from_front:
                os.pwrite(self._fd, _COUNTERS.pack(front + 1, back), 0)
                return front
            os.pwrite(self._fd, _COUNTERS.pack(front, back - 1), 0)
            return back
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def front(self) -> int | None:
        return self._take(True)

    def back(self) -> int | None:
        return self._take(False)

    def take_all(self) -> None:
        """Leave nothing more to claim (this process is giving up: Ctrl-C)."""
        fcntl.lockf(self._fd, fcntl.LOCK_EX)
        try:
            os.pwrite(self._fd, _COUNTERS.pack(1, 0), 0)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


def share(
    chunks: Sequence[Chunk],
    here: Callable[[Chunk], object],
    there: Callable[[Chunk], object],
    helpers: int,
) -> tuple[dict[int, object], dict[int, object]]:
    """Do every chunk, some in this process with `here`, some in forked helpers with
    `there` (whose results must be marshallable). Returns (this process's results, the
    helpers' results) by chunk index; a chunk in neither was taken by a helper that died.

    Raises OSError when no helper can be started (the caller then does it all itself).
    """
    claims = _Claims(len(chunks))
    started: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    try:
        for _ in range(helpers):
            try:
                started.append(_start_helper(chunks, there, claims))
            except OSError:
                if not started:
                    raise
                break  # fewer helpers than asked: the ones started share the batch
        mine: dict[int, object] = {}
        while (index := claims.back()) is not None:
            mine[index] = here(chunks[index])
        theirs: dict[int, object] = {}
        for pid, reader in started:
            theirs.update(_collect(pid, reader))
        started.clear()
        return mine, theirs
    except BaseException:
        # Interrupted (Ctrl-C) or broken: the helpers stop at once, read-only work lost.
        claims.take_all()
        for pid, reader in started:
            _end(pid, reader)
        raise
    finally:
        claims.close()


def _start_helper(
    chunks: Sequence[Chunk], there: Callable[[Chunk], object], claims: _Claims
) -> tuple[int, int]:
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        raise
    if pid == 0:  # the helper: never returns
        status = 70
        try:
            # Ctrl-C reaches the whole process group: this process is the parent's to end.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.close(reader)
            done = {}
            while (index := claims.front()) is not None:
                done[index] = there(chunks[index])
            view = memoryview(marshal.dumps(done))
            while view:
                view = view[os.write(writer, view) :]
            status = 0
        finally:
            # No clean-up of the parent's objects (buffered output, atexit handlers).
            os._exit(status)
    os.close(writer)
    return pid, reader


def _collect(pid: int, reader: int) -> dict[int, object]:
    """A helper's results, once it has sent them all; nothing from one that failed."""
    parts = []
    try:
        while part := os.read(reader, 1 << 20):
            parts.append(part)
    finally:
        os.close(reader)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return {}
    try:
        results = marshal.loads(b"".join(parts))
    except (EOFError, ValueError, TypeError):
        return {}
    return results if isinstance(results, dict) else {}


def _end(pid: int, reader: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.close(reader)
    os.waitpid(pid, 0)
