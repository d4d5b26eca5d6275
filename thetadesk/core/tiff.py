"""A small bounds-checked TIFF/IFD reader for EXIF data inside a JPEG's APP1 segment.

Own code instead of a general EXIF library because camera MakerNotes and half-rewritten files
need care: every offset is checked against the data before it is followed, and a bad entry
is skipped rather than fatal. Offsets are counted from the start of the TIFF header, as in
every EXIF IFD, the Ricoh MakerNote included.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

# Size in bytes of one value of each TIFF type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE,
# UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
ASCII, UNDEFINED = 2, 7
MAX_VALUES_DECODED = 64  # we never need long arrays as numbers


class TiffError(ValueError):
    """The TIFF structure (or one IFD of it) cannot be read."""


class Entry(NamedTuple):
    """One IFD entry with its value bytes already bounds-checked and sliced out.

    A NamedTuple rather than a frozen dataclass: a photo needs a few dozen, and a
    tuple is built several times faster.
    """

    tag: int
    type: int
    count: int
    data: bytes
    value_offset: int | None  # where the value lives in the TIFF data, None when inline
    byte_order: str

    def ints(self) -> tuple[int, ...]:
        fmt = _INT_FORMATS.get(self.type)
        if fmt is None:
            return ()
        count = min(self.count, MAX_VALUES_DECODED)
        raw = self.data[: count * TYPE_SIZES[self.type]]
        return struct.unpack(f"{self.byte_order}{count}{fmt}", raw)

    def first_int(self) -> int | None:
        values = self.ints()
        return values[0] if values else None

    def rationals(self) -> tuple[tuple[int, int], ...]:
        if self.type not in (5, 10):
            return ()
        count = min(self.count, MAX_VALUES_DECODED)
        fmt = "I" if self.type == 5 else "i"
        flat = struct.unpack(f"{self.byte_order}{2 * count}{fmt}", self.data[: 8 * count])
        return tuple(zip(flat[::2], flat[1::2], strict=True))

    def text(self) -> str:
        """ASCII/UNDEFINED value up to the first NUL, stripped of padding spaces."""
        if self.type not in (ASCII, UNDEFINED, 1):
            return ""
        raw = self.data.split(b"\x00", 1)[0]
        return raw.decode("utf-8", "replace").strip()


class Ifd:
    """One IFD. Its table is checked when read; an Entry is made only for tags asked for."""

    __slots__ = ("_data", "_order", "_table", "next_offset", "skipped")

    def __init__(
        self,
        data: bytes,
        order: str,
        table: dict[int, tuple[int, int, int, int | None, int]],
        next_offset: int,
        skipped: int,
    ) -> None:
        self._data = data
        self._order = order
        # tag → (type, count, where the value starts, value_offset or None, value length)
        self._table = table
        self.next_offset = next_offset
        self.skipped = skipped  # entries dropped because their value pointed outside the data

    def get(self, tag: int) -> Entry | None:
        found = self._table.get(tag)
        if found is None:
            return None
        typ, count, start, value_offset, length = found
        value = self._data[start : start + length]
        return Entry(tag, typ, count, value, value_offset, self._order)

    def first_int(self, tag: int) -> int | None:
        """`get(tag).first_int()` without making the Entry (the common case, kept cheap)."""
        found = self._table.get(tag)
        if found is None:
            return None
        typ, count, start, _, _ = found
        fmt = _INT_FORMATS.get(typ)
        if fmt is None or count == 0:
            return None
        return int(struct.unpack_from(self._order + fmt, self._data, start)[0])

    def text(self, tag: int) -> str:
        """`get(tag).text()`, or "" without the tag, without making the Entry."""
        found = self._table.get(tag)
        if found is None or found[0] not in (ASCII, UNDEFINED, 1):
            return ""
        start, length = found[2], found[4]
        raw = self._data[start : start + length].split(b"\x00", 1)[0]
        return raw.decode("utf-8", "replace").strip()

    @property
    def entries(self) -> dict[int, Entry]:
        return {tag: entry for tag in self._table if (entry := self.get(tag)) is not None}


class TiffData:
    """TIFF bytes plus their byte order; reads IFDs at given offsets."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 8:
            raise TiffError("EXIF data is too short")
        if data[:4] == b"MM\x00*":
            self.byte_order = ">"
        elif data[:4] == b"II*\x00":
            self.byte_order = "<"
        else:
            raise TiffError("EXIF data has no TIFF header")
        self.data = data
        (self.first_ifd_offset,) = struct.unpack(self.byte_order + "I", data[4:8])

    def u32(self, raw: bytes) -> int:
        return int(struct.unpack(self.byte_order + "I", raw)[0])

    def read_ifd(self, offset: int, *, max_entries: int = 1024) -> Ifd:
        """Read the IFD at `offset`. Raises TiffError if its table does not fit in the data."""
        data, order = self.data, self.byte_order
        if offset < 8 or offset + 2 > len(data):
            raise TiffError(f"IFD offset {offset} is outside the EXIF data")
        (count,) = struct.unpack(order + "H", data[offset : offset + 2])
        table_end = offset + 2 + 12 * count
        if count > max_entries or table_end > len(data):
            raise TiffError(f"IFD at {offset} claims {count} entries, more than the data holds")
        table: dict[int, tuple[int, int, int, int | None, int]] = {}
        skipped = 0
        size_of = TYPE_SIZES.get
        at = offset + 2
        # One C-level pass over the table; a Python loop only to check each value's bounds.
        for tag, typ, n, value_at in struct.iter_unpack(order + "HHII", data[at:table_end]):
            size = size_of(typ)
            if size is None:
                skipped += 1  # unknown type: the spec says readers skip it
            else:
                length = size * n  # Python ints: a count near 2**32 cannot overflow here
                if length <= 4:
                    if tag not in table:
                        table[tag] = (typ, n, at + 8, None, length)
                elif value_at + length > len(data):
                    skipped += 1
                elif tag not in table:
                    table[tag] = (typ, n, value_at, value_at, length)
            at += 12
        next_offset = 0
        if table_end + 4 <= len(data):
            next_offset = self.u32(data[table_end : table_end + 4])
        return Ifd(data, order, table, next_offset, skipped)
