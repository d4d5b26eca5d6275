"""The readers' fast paths against the plain ones they shortcut.

- read_header walks the usual segments inline; iter_segments is the plain walk. Both must
  give the same segments, the same payloads and the same refusals on every header.
- An IFD's table is unpacked in one call and an entry is checked only when its tag is asked
  for; the result must be that of checking every entry in order (the first readable entry
  of a tag wins, unreadable ones are counted as skipped).
"""

from __future__ import annotations

import io
import random
import struct

import pytest

from tests.core.samples import SAMPLES
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core import jpeg_segments
from thetadesk.core.jpeg_segments import (
    APP1,
    SOS,
    JpegHeader,
    JpegStructureError,
    iter_segments,
    read_header,
)
from thetadesk.core.tiff import TiffData


def reference_header(data: bytes) -> JpegHeader:
    """read_header as the plain walk does it: every segment from iter_segments."""
    header = JpegHeader()
    extended_total = 0
    for marker, start, length in iter_segments(io.BytesIO(data), len(data)):
        if marker == SOS:
            if header.frame is None:
                raise JpegStructureError("damaged JPEG: no frame header before the image data")
            return header
        if marker == APP1 or (marker in jpeg_segments._SOF_MARKERS and header.frame is None):
            body = data[start : start + length]
            if len(body) != length:
                raise JpegStructureError("truncated file: it ends inside a JPEG segment")
            if marker == APP1:
                extended_total += jpeg_segments._keep_app1(header, body, extended_total)
            else:
                header.frame = jpeg_segments._parse_frame(body, marker, start - 4)
    raise AssertionError("iter_segments ends with SOS or raises")


def outcome(read, data: bytes, prefix_bytes: int) -> object:
    try:
        if read is read_header:
            return read(io.BytesIO(data), len(data), data[:prefix_bytes])
        return read(data)
    except JpegStructureError as error:
        return ("refused", str(error))


def headers_to_mutate(tmp_path) -> list[bytes]:
    plain = make_theta_jpeg(tmp_path / "a.jpg").read_bytes()
    # Fill bytes before markers, standalone markers and a segment bigger than the window.
    big_app = b"\xff\xe5" + struct.pack(">H", 40_002) + bytes(40_000)
    padded = plain[:2] + b"\xff\xff\xff\xd0" + big_app + b"\xff\xff" + plain[2:]
    headers = [plain, padded]
    for name in ("R0014760.JPG", "R0010290.JPG"):
        if (SAMPLES / name).is_file():
            with open(SAMPLES / name, "rb") as stream:
                headers.append(stream.read(70_000))
    return headers


@pytest.mark.parametrize("prefix_bytes", [0, 2, 16 * 1024])
def test_read_header_walks_like_iter_segments(tmp_path, prefix_bytes: int) -> None:
    rng = random.Random(prefix_bytes)
    cases = 0
    for data in headers_to_mutate(tmp_path):
        assert outcome(read_header, data, prefix_bytes) == outcome(reference_header, data, 0)
        limit = min(len(data), 66_000)
        for _ in range(300):
            mutated = bytearray(data)
            for _ in range(rng.choice((1, 2, 4))):
                at = rng.randrange(limit)
                if rng.random() < 0.3:
                    mutated[at] = rng.choice((0xFF, 0x00, 0xD8, 0xD9, 0xDA, 0xE1, 0xC0, 0x01))
                else:
                    mutated[at] = rng.randrange(256)
            if rng.random() < 0.2:
                del mutated[rng.randrange(len(mutated)) :]
            mutated_bytes = bytes(mutated)
            assert outcome(read_header, mutated_bytes, prefix_bytes) == outcome(
                reference_header, mutated_bytes, 0
            )
            cases += 1
    assert cases >= 600


def _ifd(entries: list[tuple[int, int, int, bytes]], extra: bytes = b"") -> TiffData:
    """A big-endian TIFF with one IFD at 8; values over 4 bytes follow the table."""
    table_end = 8 + 2 + 12 * len(entries) + 4
    table, values = b"", b""
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            table += struct.pack(">HHI", tag, typ, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack(">HHII", tag, typ, count, table_end + len(values))
            values += value
    data = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", len(entries)) + table
    return TiffData(data + bytes(4) + values + extra)


def test_a_tags_first_readable_entry_wins() -> None:
    tiff = _ifd(
        [
            (0x0110, 2, 1000, b""),  # Model pointing far outside the data: skipped
            (0x010F, 99, 1, b"x"),  # Make of an unknown type: skipped
            (0x010F, 2, 6, b"RICOH\x00"),
            (0x0110, 2, 8, b"THETA V\x00"),
            (0x0112, 3, 1, b"\x00\x06"),
            (0x0112, 3, 1, b"\x00\x01"),  # a second readable Orientation: ignored
        ]
    )
    ifd = tiff.read_ifd(8)
    assert ifd.skipped == 2 and ifd.has_entries
    assert ifd.text(0x010F) == "RICOH" and ifd.text(0x0110) == "THETA V"
    assert ifd.first_int(0x0112) == 6
    assert list(ifd.entries) == [0x010F, 0x0110, 0x0112]  # in the order they became readable
    assert ifd.get(0x0110).data == b"THETA V\x00"
    assert ifd.get(0x0131) is None and ifd.first_int(0x0131) is None and ifd.text(0x0131) == ""


def test_an_ifd_of_only_unreadable_entries_has_none() -> None:
    ifd = _ifd([(0x0001, 99, 1, b"x"), (0x0002, 5, 500, b"")]).read_ifd(8)
    assert ifd.skipped == 2 and not ifd.has_entries and ifd.entries == {}
    assert ifd.find(0x0001) is None and ifd.find(0x0002) is None
