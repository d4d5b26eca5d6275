"""Upload handler that spools files to disk and hashes them as the bytes arrive."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class HashingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Sets `sha256` on each uploaded file: the digest of exactly the bytes later stored.

    The spooled file is moved (renamed) into media/, so hashing it here means the photo's
    recorded digest describes the stored file without reading it a second time.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._digest = hashlib.sha256()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._digest.update(raw_data)
        super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._digest.hexdigest()
        return uploaded
