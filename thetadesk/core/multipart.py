"""A multipart/form-data body that streams its file part from disk.

requests would read a whole file into memory to build a multipart body; a THETA X still is
up to 21 MB and photographers send hundreds. This body is a file-like object with a known
length, so requests sends it with a Content-Length and http.client pulls it in chunks.
Progress and cancellation are reported from `read`, i.e. as bytes actually leave.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from thetadesk.core.errors import Cancelled

ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

# http.client asks for 8 KiB at a time; bigger reads from disk cost nothing and cut
# Python-level overhead on a loopback link.
_READ_SIZE = 256 * 1024


def _quote(value: str) -> str:
    # RFC 7578: field names and file names are quoted strings; escape what would end them.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartFileBody:
    """Text fields first, then one file field, read lazily from `path`."""

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
    ) -> None:
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
        self._file_size = os.stat(path).st_size
        self._parts: Iterator[bytes] | None = None
        self._current = b""
        self._offset = 0
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

    def __iter__(self) -> Iterator[bytes]:
        # requests treats objects with __iter__ as streams; http.client still uses read().
        while chunk := self.read(_READ_SIZE):
            yield chunk

    def _chunks(self) -> Iterator[bytes]:
        yield self._head
        with open(self._path, "rb") as file:
            self._file = file
            while chunk := file.read(_READ_SIZE):
                yield chunk
        self._file = None
        yield self._tail

    def read(self, size: int = -1) -> bytes:
        if self._should_cancel is not None and self._should_cancel():
            self.close()
            raise Cancelled("upload cancelled")
        if self._parts is None:
            self._parts = self._chunks()
        want = self.len if size is None or size < 0 else size
        out = bytearray()
        while len(out) < want:
            if self._offset >= len(self._current):
                self._current, self._offset = next(self._parts, b""), 0
                if not self._current:
                    break
            take = min(want - len(out), len(self._current) - self._offset)
            out += memoryview(self._current)[self._offset : self._offset + take]
            self._offset += take
        self._sent += len(out)
        if out and self._on_progress is not None:
            self._on_progress(self._sent, self.len)
        return bytes(out)

    def close(self) -> None:
        if self._parts is not None:
            self._parts.close()  # closes the file through the generator's with-block
        self._file = None
