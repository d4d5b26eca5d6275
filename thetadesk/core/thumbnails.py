"""Small previews for the window's tiles: the embedded EXIF thumbnail first, else a cheap decode.

A reduced decode uses libjpeg's DCT scaling (`Image.draft`), so a 5.5K baseline JPEG decodes
at 1/8 size. Pillow's decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`) is honoured, and
checked from our own header read so no warning machinery (global, not thread-safe) is needed.
"""

from __future__ import annotations

import io
import logging
import os

from PIL import Image

from thetadesk.core.exif import parse_exif
from thetadesk.core.jpeg_segments import JpegStructureError, read_header, without_metadata

log = logging.getLogger(__name__)

MAX_EMBEDDED_PIXELS = 1024 * 1024  # a real EXIF thumbnail is 160×80 or 320×160
MAX_FILE_BYTES = 256 * 1024 * 1024  # the largest THETA JPEG is about 21 MB
_JPEG_FORMATS = ("JPEG",)  # never let Pillow guess other formats; MPO files open as JPEG


def embedded_thumbnail(path: str | os.PathLike[str]) -> bytes | None:
    """The JPEG bytes of the EXIF IFD1 thumbnail, or None. Reads only the header."""
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            header = read_header(stream, size)
    except (OSError, JpegStructureError):
        return None
    if header.exif is None:
        return None
    return parse_exif(header.exif).thumbnail


def embedded_thumbnail_as_is(path: str | os.PathLike[str], max_side: int = 320) -> bytes | None:
    """The EXIF thumbnail's JPEG bytes when they can be shown without resizing: a whole
    JPEG (frame header, end marker) no larger than max_side either way, metadata removed.

    A THETA's thumbnail (160×80 or 320×160) qualifies, so the window decodes it once, in
    Qt, instead of decoding, shrinking and re-encoding it with Pillow first (~3× the CPU).
    """
    embedded = embedded_thumbnail(path)
    if embedded is None or not embedded.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None
    try:
        frame = read_header(io.BytesIO(embedded), len(embedded)).frame
        if frame is None or frame.width > max_side or frame.height > max_side:
            return None
        return without_metadata(embedded)
    except JpegStructureError:
        return None


def thumbnail_image(path: str | os.PathLike[str], max_side: int = 320) -> Image.Image | None:
    """An RGB preview no larger than max_side on either side, or None if it cannot be made.

    The image is never rotated: panoramas are shown as stored, whatever EXIF Orientation says.
    """
    embedded = embedded_thumbnail(path)
    if embedded is not None:
        image = _decode(embedded, max_side, MAX_EMBEDDED_PIXELS)
        if image is not None:
            return image
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return None
            data = stream.read()
    except OSError:
        return None
    return _decode(data, max_side, Image.MAX_IMAGE_PIXELS)


def thumbnail_jpeg(path: str | os.PathLike[str], max_side: int = 320) -> bytes | None:
    """`thumbnail_image` encoded as JPEG bytes, ready for a QImage in the GUI."""
    image = thumbnail_image(path, max_side)
    if image is None:
        return None
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _decode(data: bytes, max_side: int, max_pixels: int | None) -> Image.Image | None:
    try:
        frame = read_header(io.BytesIO(data), len(data)).frame
        if frame is None or (max_pixels is not None and frame.width * frame.height > max_pixels):
            return None
        # Pillow parses EXIF/MPF on open and warns about damaged ones: give it pixels only.
        with Image.open(io.BytesIO(without_metadata(data)), formats=_JPEG_FORMATS) as image:
            image.draft("RGB", (max_side, max_side))
            image.thumbnail((max_side, max_side))
            return image.convert("RGB")
    except Exception as error:  # noqa: BLE001 - a preview is best effort: any failure means none
        log.debug("no thumbnail: %s", error)
        return None
