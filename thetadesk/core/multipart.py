"""A multipart/form-data body that streams its file part from disk.

requests would read a whole file into memory to build a multipart body; a THETA X still is
up to 21 MB and photographers send hundreds. This body is an iterable with a known length,
so requests sends it with a Content-Length and urllib3 sends each chunk as it comes:

- the text fields and the closing boundary as bytes;
- the file as `FileRegion`s (an open file, an offset, a count). The connections of
  http_session send a region with sendfile(2) on a plain socket (no copy through Python)
  and read it in one block for TLS; any other connection iterates it as bytes.

Chunks are sized to about a tenth of a second of sending at the speed measured so far
(64 KB at first, 16 KB to 1 MB), so on a fast link the file goes in a few large sends and on
a slow one a chunk never outlasts the socket timeout. Cancellation is checked before each
chunk and progress reported after each one, i.e. as bytes actually leave; memory does not
grow with the file (at most one chunk is read into it).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from thetadesk.core.errors import Cancelled, FileChanged, FileUnreadable

ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

FIRST_CHUNK = 64 * 1024
MIN_CHUNK = 16 * 1024
MAX_CHUNK = 1024 * 1024
CHUNK_SECONDS = 0.1  # aim for chunks that take about this long to send
_READ_BLOCK = 256 * 1024  # what a region reads at a time when it is iterated


def _quote(value: str) -> str:
    # RFC 7578: field names and file names are quoted strings; escape what would end them.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class FileRegion:
    """`count` bytes of an open file from `offset`, to be sent as they are on disk.

    Connections that know regions (http_session) send them without reading them into
    Python; others iterate one as bytes. Either way a file that has shrunk since it was
    measured raises FileChanged rather than sending fewer bytes than the Content-Length.
    """

    __slots__ = ("file", "offset", "count")

    def __init__(self, file: BinaryIO, offset: int, count: int) -> None:
        self.file = file
        self.offset = offset
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def read_all(self) -> bytes:
        """The region's bytes, read in one go (for a TLS socket, which must encrypt them).
        A read error is FileUnreadable: it is the file's fault, not the connection's."""
        try:
            data = self._read()
        except OSError as exc:
            raise FileUnreadable(exc.strerror or str(exc)) from exc
        if len(data) != self.count:
            raise FileChanged("the file became shorter while it was being sent")
        return data

    def _read(self) -> bytes:
        if _HAS_PREAD:
            # A read may return less than asked (network file systems): read on to the end.
            parts, offset, left = [], self.offset, self.count
            while left > 0 and (part := os.pread(self.file.fileno(), left, offset)):
                parts.append(part)
                offset += len(part)
                left -= len(part)
            data = parts[0] if len(parts) == 1 else b"".join(parts)
        else:
            self.file.seek(self.offset)
            data = self.file.read(self.count)  # a buffered read reads on to the count
        return data

    def __iter__(self) -> Iterator[bytes]:
        offset, end = self.offset, self.offset + self.count
        while offset < end:
            block = FileRegion(self.file, offset, min(_READ_BLOCK, end - offset)).read_all()
            offset += len(block)
            yield block


_HAS_PREAD = hasattr(os, "pread")


class MultipartFileBody:
    """Text fields first, then one file field, read lazily from `path`.

    Iterating it yields the body's chunks (bytes and FileRegions) for one send; `len` is
    the exact byte count. `iter_bytes()` gives the same body as bytes only.
    """

    def __init__(
        self,
        fields: Mapping[str, str],
        file_field: str,
        path: Path,
        *,
        filename: str,
        content_type: str = "image/jpeg",
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        expect: tuple[int, int] | None = None,
    ) -> None:
        """`expect`: the (size, mtime_ns) the file had when it was checked; a file that no
        longer has them raises FileChanged, here or while it is sent (before the body's
        last bytes, so the server never gets a complete body of other bytes)."""
        self.boundary = "thetadesk-" + secrets.token_hex(16)
        head = bytearray()
        for name, value in fields.items():
            head += f"--{self.boundary}\r\n".encode()
            head += f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            head += value.encode("utf-8") + b"\r\n"
        head += f"--{self.boundary}\r\n".encode()
        head += (
            f'Content-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._head = bytes(head)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._path = path
        self._file: BinaryIO | None = None
        stat = os.stat(path)
        if expect is not None and tuple(expect) != (stat.st_size, stat.st_mtime_ns):
            raise FileChanged("the file changed after it was checked")
        self._file_size = stat.st_size
        self._chunks: Iterator[bytes | FileRegion] | None = None
        self._sent = 0
        self._on_progress = on_progress
        self._should_cancel = should_cancel
        self.len = len(self._head) + self._file_size + len(self._tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def sent(self) -> int:
        """Bytes handed to the connection so far."""
        return self._sent

    def __len__(self) -> int:
        return self.len

    def __iter__(self) -> Iterator[bytes | FileRegion]:
        # No read() on purpose: urllib3 would pull a file-like body 16 KB at a time.
        if self._chunks is not None:
            raise RuntimeError("a body can be sent once")
        self._chunks = self._generate()
        return self._chunks

    def iter_bytes(self) -> Iterator[bytes]:
        """The body as bytes only (file regions read), for consumers other than urllib3."""
        for chunk in self:
            if isinstance(chunk, FileRegion):
                yield from chunk
            else:
                yield chunk

    def _handed(self, count: int) -> None:
        """`count` more bytes were taken by the connection."""
        self._sent += count
        if self._on_progress is not None:
            self._on_progress(self._sent, self.len)

    def _check_cancel(self) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise Cancelled("upload cancelled")

    def _generate(self) -> Iterator[bytes | FileRegion]:
        # Each yield returns once the connection has sent the chunk: that is when it counts
        # as sent, and how long it took sizes the next one.
        self._check_cancel()
        yield self._head
        self._handed(len(self._head))
        with open(self._path, "rb") as file:
            self._file = file
            opened = self._file_key(file)
            if opened[0] != self._file_size:
                raise FileChanged("the file changed while it was being sent")
            offset, size = 0, FIRST_CHUNK
            while offset < self._file_size:
                self._check_cancel()
                count = min(size, self._file_size - offset)
                started = time.monotonic()
                yield FileRegion(file, offset, count)
                seconds = time.monotonic() - started
                offset += count
                self._handed(count)
                rate = count / seconds if seconds > 0 else float("inf")
                size = int(max(MIN_CHUNK, min(MAX_CHUNK, 4 * size, rate * CHUNK_SECONDS)))
            if self._file_key(file) != opened:  # written to meanwhile: no tail, no photo
                raise FileChanged("the file changed while it was being sent")
        self._file = None
        self._check_cancel()
        yield self._tail
        self._handed(len(self._tail))

    @staticmethod
    def _file_key(file: BinaryIO) -> tuple[int, int]:
        stat = os.fstat(file.fileno())
        return stat.st_size, stat.st_mtime_ns

    def close(self) -> None:
        if self._chunks is not None:
            self._chunks.close()  # closes the file through the generator's with-block
        self._file = None
