"""Name what a file is from its first bytes, so a rejected non-JPEG gets a useful reason."""

from __future__ import annotations

JPEG_MAGIC = b"\xff\xd8\xff"
SNIFF_BYTES = 32  # enough for every signature below

# ISO base media "ftyp" brands: the still-image ones, then everything else is treated as video.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def is_jpeg(head: bytes) -> bool:
    return head.startswith(JPEG_MAGIC)


def describe_non_jpeg(head: bytes) -> str:
    """A short noun phrase for what `head` (the file's first bytes) looks like."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "a PNG image"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        # A THETA Z1 .DNG raw is a TIFF container: the magic cannot tell them apart.
        return "a TIFF or DNG (raw) file"
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
    if head[:2] == b"\xff\xd8":
        return "a damaged JPEG (no marker after the start of image)"
    return "not an image format thetadesk recognises"
