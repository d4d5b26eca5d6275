"""The EXIF reader on damaged structures: every case gives a clean result, never an exception."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.support.theta_fixtures import (
    app1,
    build_exif,
    insert_segments,
    pixels_jpeg,
    thumbnail_bytes,
)
from thetadesk.core.exif import parse_exif
from thetadesk.core.inspection import Verdict, inspect_file
from thetadesk.core.tiff import TiffData

EXIF_POINTER, MODEL, THUMB_OFFSET = 0x8769, 0x0110, 0x0201


def tiff(**options) -> bytearray:
    options.setdefault("thumbnail", thumbnail_bytes())
    return bytearray(build_exif(**options)[6:])  # without "Exif\0\0"


def entry_at(data: bytes, ifd_offset: int, tag: int) -> int:
    """Position of a tag's 12-byte entry in a big-endian IFD (test-side, independent code)."""
    (count,) = struct.unpack(">H", data[ifd_offset : ifd_offset + 2])
    for index in range(count):
        at = ifd_offset + 2 + 12 * index
        if struct.unpack(">H", data[at : at + 2])[0] == tag:
            return at
    raise KeyError(tag)


def ifd1_offset(data: bytes) -> int:
    (count,) = struct.unpack(">H", data[8:10])
    return struct.unpack(">I", data[10 + 12 * count : 14 + 12 * count])[0]


def test_well_formed_exif_reads_everything() -> None:
    info = parse_exif(bytes(tiff(serial="40100001")))
    assert (info.make, info.model, info.orientation) == ("RICOH", "RICOH THETA V", 1)
    assert info.datetime_original == "2024:05:06 07:08:09"
    assert (info.pixel_width, info.pixel_height) == (64, 32)
    assert info.has_gps and info.thumbnail == thumbnail_bytes()
    assert info.ricoh is not None
    assert (info.ricoh.theta_image_type, info.ricoh.zenith_corrected) == (1, True)
    assert info.ricoh.serial == "0000000040100001"
    assert info.problems == ()


def test_first_ifd_offset_past_the_segment() -> None:
    data = tiff()
    data[4:8] = struct.pack(">I", 0xFFFFFF00)
    info = parse_exif(bytes(data))
    assert info.model == "" and info.ricoh is None
    assert info.problems and "outside the EXIF data" in info.problems[0]


def test_exif_ifd_pointer_past_the_segment_keeps_ifd0_facts() -> None:
    data = tiff()
    at = entry_at(data, 8, EXIF_POINTER)
    data[at + 8 : at + 12] = struct.pack(">I", len(data) + 10)
    info = parse_exif(bytes(data))
    assert info.model == "RICOH THETA V"
    assert info.datetime_original is None and info.ricoh is None
    assert any(p.startswith("Exif IFD unreadable") for p in info.problems)


def test_value_count_near_two_to_the_31_is_skipped() -> None:
    data = tiff()
    at = entry_at(data, 8, MODEL)
    data[at + 4 : at + 8] = struct.pack(">I", 0x7FFFFFFF)
    info = parse_exif(bytes(data))
    assert info.model == "" and info.make == "RICOH"
    assert any("outside the EXIF data" in p for p in info.problems)


def test_entry_count_larger_than_the_data() -> None:
    data = tiff()
    data[8:10] = struct.pack(">H", 0xFFFF)
    info = parse_exif(bytes(data))
    assert info.make == ""
    assert "65535 entries" in info.problems[0]


def test_ifd_chain_pointing_back_at_itself_ends() -> None:
    data = tiff(thumbnail=None)
    (count,) = struct.unpack(">H", data[8:10])
    data[10 + 12 * count : 14 + 12 * count] = struct.pack(">I", 8)  # IFD1 := IFD0
    info = parse_exif(bytes(data))
    assert info.model == "RICOH THETA V" and info.thumbnail is None


def test_thumbnail_pointer_out_of_range() -> None:
    data = tiff()
    at = entry_at(data, ifd1_offset(data), THUMB_OFFSET)
    data[at + 8 : at + 12] = struct.pack(">I", len(data) - 10)
    info = parse_exif(bytes(data))
    assert info.thumbnail is None and info.model == "RICOH THETA V"
    assert any("thumbnail" in p for p in info.problems)


def test_thumbnail_that_is_not_a_jpeg_is_ignored() -> None:
    info = parse_exif(bytes(tiff(thumbnail=b"\x00" * 64)))
    assert info.thumbnail is None


def test_little_endian_tiff_is_read() -> None:
    # One IFD with Make = "RICOH", little-endian ("II"), as GIMP and many phones write.
    make = b"RICOH\x00"
    body = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), 26) + bytes(4)
    data = b"II*\x00" + struct.pack("<I", 8) + body + make
    assert TiffData(data).byte_order == "<"
    assert parse_exif(data).make == "RICOH"


def test_garbage_instead_of_tiff() -> None:
    assert parse_exif(b"not a tiff header").problems
    assert parse_exif(b"").problems


def test_doubled_exif_header_in_a_jpeg(tmp_path: Path) -> None:
    exif = build_exif(pixel_size=(64, 32), thumbnail=None)
    jpeg = insert_segments(pixels_jpeg(64, 32), [app1(b"Exif\x00\x00" + exif)])
    path = tmp_path / "double.jpg"
    path.write_bytes(jpeg)
    result = inspect_file(path)
    assert result.model == "RICOH THETA V" and result.theta_image_type == 1
    assert result.verdict is Verdict.WARNING  # THETA type 1, no GPano
