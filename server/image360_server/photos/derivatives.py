"""Downscaled JPEG previews (thumb, medium), made lazily on first request and cached on disk."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from PIL import Image

from image360_server.photos.models import Photo

# Longest side in pixels; a 2:1 panorama gives 512 x 256 and 2048 x 1024.
VARIANTS: dict[str, int] = {"thumb": 512, "medium": 2048}
VARIANT_PATTERN = "|".join(VARIANTS)
_QUALITY = 85

logger = logging.getLogger(__name__)


class DerivativeUnavailable(Exception):
    """The stored original cannot be decoded (e.g. a valid header over corrupt data)."""


def derivative_path(storage_key: str, variant: str) -> Path:
    return Path(settings.IMAGE360_DERIVATIVE_CACHE) / variant / f"{storage_key}.jpg"


def ensure_derivative(photo: Photo, variant: str) -> Path:
    """Return the cached derivative, making it first if needed."""
    target = derivative_path(photo.storage_key, variant)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent requests each write their own draft; os.replace makes the last one win whole.
    draft = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.tmp")
    try:
        _render(photo, VARIANTS[variant], draft)
        os.replace(draft, target)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        logger.warning("no %s preview for photo %s: %s", variant, photo.pk, error)
        raise DerivativeUnavailable(str(error)) from error
    finally:
        draft.unlink(missing_ok=True)
    return target


def remove_derivatives(storage_key: str) -> None:
    for variant in VARIANTS:
        derivative_path(storage_key, variant).unlink(missing_ok=True)


def _render(photo: Photo, longest_side: int, destination: Path) -> None:
    with photo.image.open("rb") as original, Image.open(original, formats=["JPEG"]) as image:
        # draft() lets the JPEG decoder scale down by 1/2..1/8 while decoding: far less memory
        # and time than decoding a 60-megapixel panorama at full size.
        image.draft("RGB", (longest_side, longest_side))
        preview = image.convert("RGB")
        preview.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
        preview.save(destination, "JPEG", quality=_QUALITY, optimize=True)
