"""Accept only JPEGs, judging from the header alone (nothing is decoded here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

JPEG_MAGIC = b"\xff\xd8\xff"
# The largest THETA still is 11008 x 5504; half as much again leaves room for other cameras
# while refusing headers that would make a decoder allocate gigabytes.
MAX_PIXELS = int(11008 * 5504 * 1.5)


class JpegRejected(ValueError):
    """The upload is not a JPEG this server accepts; the message is shown to the client."""


@dataclass(frozen=True)
class JpegHeader:
    width: int
    height: int


def read_jpeg_header(stream: BinaryIO) -> JpegHeader:
    """Check magic bytes and header, return the declared size; rewinds `stream`."""
    stream.seek(0)
    if stream.read(len(JPEG_MAGIC)) != JPEG_MAGIC:
        raise JpegRejected("The file is not a JPEG image.")
    stream.seek(0)
    try:
        # Image.open reads markers up to the frame header; pixels are only decoded on load().
        with Image.open(stream, formats=["JPEG"]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise JpegRejected(_too_many_pixels_message()) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise JpegRejected("The JPEG header cannot be read.") from None
    finally:
        stream.seek(0)
    if width <= 0 or height <= 0:
        raise JpegRejected("The JPEG header declares an empty image.")
    if width * height > MAX_PIXELS:
        raise JpegRejected(_too_many_pixels_message(width, height))
    return JpegHeader(width=width, height=height)


def _too_many_pixels_message(width: int | None = None, height: int | None = None) -> str:
    declared = f" ({width} x {height})" if width and height else ""
    return f"The JPEG declares more pixels{declared} than this server accepts ({MAX_PIXELS})."

