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


_HEAD_BYTES = 128 * 1024  # the EXIF segment, thumbnail included, is at most 64 KB


def _u16(data: bytes, at: int, little: bool) -> int:
    return int.from_bytes(data[at : at + 2], "little" if little else "big")


def _u32(data: bytes, at: int, little: bool) -> int:
    return int.from_bytes(data[at : at + 4], "little" if little else "big")


def _frame_size(jpeg: bytes) -> tuple[int, int] | None:
    """(width, height) of a small JPEG with no APPn segment but JFIF's APP0, else None (the
    careful path then decides)."""
    at = 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            return None  # metadata or a comment inside: let without_metadata remove it
        if marker in (0xC0, 0xC1, 0xC2) and at + 9 <= len(jpeg):
            height = int.from_bytes(jpeg[at + 5 : at + 7], "big")
            width = int.from_bytes(jpeg[at + 7 : at + 9], "big")
            return width, height
        if marker == 0xDA or length < 2:
            return None
        at += 2 + length
    return None


def quick_embedded_thumbnail(path: str | os.PathLike[str], max_side: int = 320) -> bytes | None:
    """`embedded_thumbnail_as_is` for the common case, at a fraction of the cost: one read
    of the file's head, the EXIF segment's IFD0 skipped to IFD1's thumbnail offset and
    length (no MakerNote or sub-IFD is parsed, which is what a whole EXIF parse spends its
    time on). Anything unusual (no Exif APP1 first, metadata inside the thumbnail, offsets
    out of bounds) falls back to `embedded_thumbnail_as_is`.

    A tile asks for this for every file of a drop, so it is kept to ~20 µs of Python. It
    gives the same bytes as the careful path, except for a file cut short after its EXIF
    segment, whose thumbnail it still finds (the careful path refuses the damaged file; the
    tile shows the thumbnail beside the file's "rejected" verdict).
    """
    try:
        with open(path, "rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return None
    found = _quick(head, max_side)
    if found is not None:
        return found if found else None
    return embedded_thumbnail_as_is(path, max_side=max_side)


def _quick(head: bytes, max_side: int) -> bytes | None:
    """The thumbnail (b"" when there is surely none that fits), or None: ask the careful
    path."""
    if head[:2] != b"\xff\xd8":
        return None
    at = 2
    # APP0 (JFIF) may come before the Exif APP1; anything else: the careful path.
    while at + 4 <= len(head) and head[at] == 0xFF and head[at + 1] in (0xE0, 0xE1):
        length = int.from_bytes(head[at + 2 : at + 4], "big")
        if head[at + 1] == 0xE1 and head[at + 4 : at + 10] == b"Exif\x00\x00":
            segment_end = at + 2 + length
            if segment_end > len(head):
                return None
            return _ifd1_thumbnail(head[at + 10 : segment_end], max_side)
        at += 2 + length
    return None


def _ifd1_thumbnail(tiff: bytes, max_side: int) -> bytes | None:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    little = tiff[:2] == b"II"
    if _u16(tiff, 2, little) != 42:
        return None
    ifd0 = _u32(tiff, 4, little)
    if ifd0 < 8 or ifd0 + 2 > len(tiff):
        return None
    count = _u16(tiff, ifd0, little)
    next_at = ifd0 + 2 + 12 * count
    if next_at + 4 > len(tiff):
        return None
    ifd1 = _u32(tiff, next_at, little)
    if ifd1 == 0:
        return b""  # no IFD1: no thumbnail
    if ifd1 < 8 or ifd1 + 2 > len(tiff):
        return None
    offset = length = None
    for entry in range(_u16(tiff, ifd1, little)):
        at = ifd1 + 2 + 12 * entry
        if at + 12 > len(tiff):
            return None
        tag = _u16(tiff, at, little)
        if tag not in (0x0201, 0x0202):
            continue
        kind = _u16(tiff, at + 2, little)
        if kind not in (3, 4) or _u32(tiff, at + 4, little) != 1:
            return None  # not one SHORT or LONG: the careful path decides
        value = _u32(tiff, at + 8, little) if kind == 4 else _u16(tiff, at + 8, little)
        # The first of a repeated tag, as the careful path reads it.
        if tag == 0x0201 and offset is None:
            offset = value
        elif tag == 0x0202 and length is None:
            length = value
    if offset is None or length is None:
        return None
    jpeg = tiff[offset : offset + length]
    if len(jpeg) != length or jpeg[:2] != b"\xff\xd8":
        return None
    if not jpeg.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return b""  # truncated: the careful path would refuse it too
    size = _frame_size(jpeg)
    if size is None:
        return None
    if size[0] > max_side or size[1] > max_side or not size[0] or not size[1]:
        return None  # too big to show as is: the careful path shrinks it
    return jpeg


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
