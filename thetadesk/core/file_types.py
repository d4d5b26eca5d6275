"""Name what a file is from its first bytes, so a rejected non-JPEG gets a useful reason."""

from __future__ import annotations

from thetadesk.core.theta_models import clean_model, is_theta_model
from thetadesk.core.tiff import TiffData, TiffError

JPEG_MAGIC = b"\xff\xd8\xff"
SNIFF_BYTES = 32  # enough to tell a JPEG, and for every signature below but TIFF's IFD0
DESCRIBE_BYTES = 64 * 1024  # what describe_non_jpeg may use: room for a DNG's first IFD

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_BIGTIFF_MAGIC = (b"II+\x00", b"MM\x00+")
_APPLE_DOUBLE_MAGIC = (b"\x00\x05\x16\x07", b"\x00\x05\x16\x00")  # AppleDouble, AppleSingle
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Windows compound file: Thumbs.db, .doc
_MODEL, _DNG_VERSION = 0x0110, 0xC612

# ISO base media "ftyp" brands: the still-image ones, then everything else is treated as video.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def is_jpeg(head: bytes) -> bool:
    return head.startswith(JPEG_MAGIC)


def describe_non_jpeg(head: bytes) -> str:
    """A short noun phrase for what `head` (the file's first bytes) looks like.

    SNIFF_BYTES are enough for every format but TIFF, where up to DESCRIBE_BYTES let a DNG
    raw (THETA Z1) be told from an ordinary TIFF by its first IFD.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "a PNG image"
    if head[:4] in _TIFF_MAGIC:
        return _describe_tiff(head)
    if head[:4] in _BIGTIFF_MAGIC:
        return "a BigTIFF image"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "a HEIC/HEIF image"
        if brand in _AVIF_BRANDS:
            return "an AVIF image"
        if brand == b"qt  ":
            return "a QuickTime (MOV) video"
        return "an MP4 video"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "a GIF image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[:2] == b"BM":
        return "a BMP image"
    if head[:5] == b"%PDF-":
        return "a PDF document"
    if head[:4] in _APPLE_DOUBLE_MAGIC:
        # The "._" companions macOS writes on FAT/exFAT cards and shares: Finder data, no pixels.
        return "a macOS AppleDouble file (Finder metadata, not a photo)"
    if head.startswith(_OLE_MAGIC):
        return "a Windows compound file (such as Thumbs.db), not a photo"
    if head[:2] == b"\xff\xd8":
        return "a damaged JPEG (no marker after the start of image)"
    return "not an image format thetadesk recognises"


def _describe_tiff(head: bytes) -> str:
    # A DNG is a TIFF whose first IFD carries DNGVersion. Only a readable IFD0 decides;
    # anything else stays the cautious generic answer.
    try:
        tiff = TiffData(head)
        ifd0 = tiff.read_ifd(tiff.first_ifd_offset)
    except TiffError:
        return "a TIFF or DNG (raw) file"
    if ifd0.get(_DNG_VERSION) is None:
        return "a TIFF image (or a camera raw file)"
    model_entry = ifd0.get(_MODEL)
    model = clean_model(model_entry.text()) if model_entry is not None else ""
    if is_theta_model(model):
        return f"a DNG raw file from a {model}: upload the JPEG the camera saved with it"
    return f"a DNG raw file ({model})" if model else "a DNG raw file"
