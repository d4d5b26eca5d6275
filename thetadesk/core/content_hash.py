"""A file's content identity: the SHA-256 of its bytes, read once from disk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

CHUNK_BYTES = 1024 * 1024


def sha256_of_file(path: str | os.PathLike[str], stop: Callable[[], bool]) -> str | None:
    """The hex SHA-256 of the file's content, or None once `stop()` says to give up.

    Read into one reused buffer, unbuffered: `read()` would allocate a new megabyte for
    each chunk and copy it twice (measured: a fifth of the hashing's CPU for a batch of
    THETA photos). `stop` is asked between chunks.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            if stop():
                return None
            digest.update(view[:count])
    return digest.hexdigest()
