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


class HelpersUnavailable(Exception):
    """Not one helper could be started (a sandbox, a process limit): do it all here."""


def share(
    chunks: Sequence[Chunk],
    here: Callable[[Chunk], object],
    there: Callable[[Chunk], object],
    helpers: int,
) -> tuple[dict[int, object], dict[int, object]]:
    """Do every chunk, some in this process with `here`, some in forked helpers with
    `there` (whose results must be marshallable). Returns (this process's results, the
    helpers' results) by chunk index; a chunk in neither was taken by a helper that died.

    Raises HelpersUnavailable when no helper can be started. Interrupted (Ctrl-C), it
    stops its helpers and waits for them before the KeyboardInterrupt goes on.
    """
    try:
        claims = _Claims(len(chunks))
    except OSError as error:
        raise HelpersUnavailable(str(error)) from error
    started: dict[int, int] = {}  # pid -> read end of its pipe, until it is collected
    try:
        for _ in range(helpers):
            try:
                _start_helper(chunks, there, claims, started)
            except OSError as error:
                if not started:
                    raise HelpersUnavailable(str(error)) from error
                break  # fewer helpers than asked: the ones started share the batch
        mine: dict[int, object] = {}
        while (index := claims.back()) is not None:
            mine[index] = here(chunks[index])
        theirs: dict[int, object] = {}
        for pid, reader in list(started.items()):
            data = _read_all(reader)
            _, status = os.waitpid(pid, 0)
            del started[pid]  # reaped: never signalled again (its pid may be reused)
            os.close(reader)
            theirs.update(_results(data, status))
        return mine, theirs
    except BaseException:
        # Interrupted (Ctrl-C) or broken: the helpers stop at once, read-only work lost.
        try:
            claims.take_all()
        except OSError:
            pass  # they are killed below anyway
        for pid, reader in started.items():
            _end(pid, reader)
        raise
    finally:
        claims.close()


def _start_helper(
    chunks: Sequence[Chunk],
    there: Callable[[Chunk], object],
    claims: _Claims,
    started: dict[int, int],
) -> None:
    """Fork one helper and record it in `started`."""
    parent = os.getpid()
    reader, writer = os.pipe()
    # A Ctrl-C is held back from here until the helper is recorded (or ignores it): a
    # helper must never leave through the caller's code, nor the caller lose its pid.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            raise
        if pid == 0:
            _helper(chunks, there, claims, writer, parent, mask)  # never returns
        started[pid] = reader
    finally:
        os.close(writer)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _helper(
    chunks: Sequence[Chunk],
    there: Callable[[Chunk], object],
    claims: _Claims,
    writer: int,
    parent: int,
    mask: set[signal.Signals],
) -> None:
    """The helper process: chunks from the front until none is left (or its parent is
    gone: killed, it cannot stop its helpers), then its results down the pipe."""
    status = 70
    try:
        # Ctrl-C reaches the whole process group: this process is the parent's to end.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        done = {}
        while os.getppid() == parent and (index := claims.front()) is not None:
            done[index] = there(chunks[index])
        view = memoryview(marshal.dumps(done))
        while view:
            view = view[os.write(writer, view) :]
        status = 0
    finally:
        # No clean-up of the parent's objects (buffered output, atexit handlers).
        os._exit(status)


def _read_all(reader: int) -> bytes:
    parts = []
    while part := os.read(reader, 1 << 20):
        parts.append(part)
    return b"".join(parts)


def _results(data: bytes, status: int) -> dict[int, object]:
    """A helper's results; nothing from one that failed."""
    if os.waitstatus_to_exitcode(status) != 0:
        return {}
    try:
        results = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return {}
    return results if isinstance(results, dict) else {}


def _end(pid: int, reader: int) -> None:
    """Stop a helper not yet collected, and wait for it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.close(reader)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
