"""Downscaled JPEG previews (thumb, medium), made lazily on first request and kept.

They live in the "derivatives" storage (a folder of the data directory, or a prefix of the
S3 bucket), so every app server finds the previews any other one made.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from PIL import Image

from image360_server.photos.models import Photo

# Longest side in pixels; a 2:1 panorama gives 512 x 256 and 2048 x 1024.
VARIANTS: dict[str, int] = {"thumb": 512, "medium": 2048}
VARIANT_PATTERN = "|".join(VARIANTS)
_QUALITY = 85

logger = logging.getLogger(__name__)


class DerivativeUnavailable(Exception):
    """The stored original cannot be decoded (e.g. a valid header over corrupt data)."""


def derivative_storage() -> Storage:
    return storages["derivatives"]


def derivative_name(storage_key: str, variant: str) -> str:
    return f"{variant}/{storage_key}.jpg"


def open_derivative(photo: Photo, variant: str) -> io.BufferedIOBase:
    """The preview's bytes as a readable file, making and keeping it first if needed."""
    storage = derivative_storage()
    name = derivative_name(photo.storage_key, variant)
    if storage.exists(name):
        return storage.open(name, "rb")
    try:
        data = _render(photo, VARIANTS[variant])
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        logger.warning("no %s preview for photo %s: %s", variant, photo.pk, error)
        raise DerivativeUnavailable(str(error)) from error
    _publish(storage, name, data)
    return io.BytesIO(data)


def remove_derivatives(storage_key: str) -> None:
    storage = derivative_storage()
    for variant in VARIANTS:
        storage.delete(derivative_name(storage_key, variant))


def _publish(storage: Storage, name: str, data: bytes) -> None:
    if isinstance(storage, FileSystemStorage):
        # Concurrent requests each write a draft; os.replace makes the last one win whole,
        # and a reader never sees a half-written file.
        target = Path(storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.tmp")
        try:
            draft.write_bytes(data)
            os.replace(draft, target)
        finally:
            draft.unlink(missing_ok=True)
        return
    storage.save(name, ContentFile(data))  # one PUT: object stores replace whole objects


def _render(photo: Photo, longest_side: int) -> bytes:
    buffer = io.BytesIO()
    with photo.image.open("rb") as original, Image.open(original, formats=["JPEG"]) as image:
        # draft() lets the JPEG decoder scale down by 1/2..1/8 while decoding: far less memory
        # and time than decoding a 60-megapixel panorama at full size.
        image.draft("RGB", (longest_side, longest_side))
        preview = image.convert("RGB")
        preview.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
        preview.save(buffer, "JPEG", quality=_QUALITY, optimize=True)
    return buffer.getvalue()
