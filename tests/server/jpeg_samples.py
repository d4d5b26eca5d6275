"""Small JPEG files for server tests, made with Pillow."""

from __future__ import annotations

import io
import os
import struct
import uuid
from pathlib import Path

from PIL import Image

# Start-of-frame markers that carry the image size (baseline, extended, progressive).
_SOF_MARKERS = (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2")


def jpeg_bytes(width: int = 64, height: int = 32, color: tuple[int, int, int] = (30, 120, 200),
               *, unique: bool = True) -> bytes:
    """A real, decodable JPEG with a gradient so its bytes depend on the content.

    `unique` adds a random comment segment: the server keeps one photo per owner and content,
    so tests that want a new photo need bytes nobody uploaded before.
    """
    image = Image.new("RGB", (width, height), color)
    for x in range(width):
        image.putpixel((x, height // 2), (x * 255 // max(width - 1, 1), 0, 0))
    buffer = io.BytesIO()
    comment = uuid.uuid4().hex.encode("ascii") if unique else b""
    image.save(buffer, "JPEG", quality=90, comment=comment)
    return buffer.getvalue()


def write_jpeg(path: Path, width: int = 64, height: int = 32,
               color: tuple[int, int, int] = (30, 120, 200), *, unique: bool = True) -> Path:
    path.write_bytes(jpeg_bytes(width, height, color, unique=unique))
    return path


def with_declared_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header claiming another size (the data is unchanged)."""
    for marker in _SOF_MARKERS:
        start = data.find(marker)
        if start >= 0:
            # marker(2) length(2) precision(1) height(2) width(2)
            size_at = start + 5
            return data[:size_at] + struct.pack(">HH", height, width) + data[size_at + 4:]
    raise ValueError("no start-of-frame marker found")


def with_broken_scan(data: bytes) -> bytes:
    """The same JPEG with its scan naming an undefined component: the header reads, no decode."""
    start = data.find(b"\xff\xda")
    if start < 0:
        raise ValueError("no start-of-scan marker found")
    # marker(2) length(2) component count(1), then the first component id
    return data[:start + 5] + b"\x09" + data[start + 6:]


def noisy_jpeg_bytes(width: int, height: int) -> bytes:
    """A JPEG that barely compresses, for tests that need a file of some size."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def png_bytes(width: int = 16, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 200, 0)).save(buffer, "PNG")
    return buffer.getvalue()
