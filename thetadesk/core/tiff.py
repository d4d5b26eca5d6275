"""A small bounds-checked TIFF/IFD reader for EXIF data inside a JPEG's APP1 segment.

Own code instead of a general EXIF library because camera MakerNotes and half-rewritten files
need care: every offset is checked against the data before it is followed, and a bad entry
is skipped rather than fatal. Offsets are counted from the start of the TIFF header, as in
every EXIF IFD, the Ricoh MakerNote included.
"""

from __future__ import annotations

import struct
from collections import namedtuple

# Size in bytes of one value of each TIFF type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE,
# UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
# The first value of each integer type, by byte order and type.
_INT_READERS = {
    order: {typ: struct.Struct(order + fmt).unpack_from for typ, fmt in _INT_FORMATS.items()}
    for order in "<>"
}
ASCII, UNDEFINED = 2, 7
MAX_VALUES_DECODED = 64  # we never need long arrays as numbers
# Compiled IFD table layouts by (byte order, entry count), kept for the usual sizes only.
_TABLE_FORMATS: dict[tuple[str, int], struct.Struct] = {}
_CACHED_TABLE_ENTRIES = 128


class TiffError(ValueError):
    """The TIFF structure (or one IFD of it) cannot be read."""


class Entry(namedtuple("Entry", "tag type count data value_offset byte_order")):
    """One IFD entry with its value bytes already bounds-checked and sliced out: tag, type,
    count, data (bytes), value_offset (where the value lives in the TIFF data, None when
    inline) and byte_order ("<" or ">").

    A named tuple rather than a frozen dataclass: a photo needs a few dozen, and a tuple is
    built several times faster (collections' rather than typing's: typing costs ~2 ms to
    import, on every start of the command line).
    """

    __slots__ = ()
    tag: int
    type: int
    count: int
    data: bytes
    value_offset: int | None
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
    """One IFD. Its table is unpacked in one call when read; an entry's value is checked and
    sliced out only for the tags asked for.

    A tag's entry is the first one with that tag whose type is known and whose value lies
    inside the data; entries of unknown type or pointing outside the data are skipped.
    """

    __slots__ = (
        "_data",
        "_flat",
        "_int_readers",
        "_order",
        "_skipped",
        "_table_at",
        "_tags",
        "next_offset",
    )

    def __init__(
        self, data: bytes, order: str, flat: tuple[int, ...], table_at: int, next_offset: int
    ) -> None:
        self._data = data
        self._order = order
        self._int_readers = _INT_READERS[order]
        self._flat = flat  # tag, type, count, value-or-offset for each entry, in file order
        self._tags = flat[0::4]
        self._table_at = table_at  # where the first entry starts in the data
        self._skipped: int | None = None
        self.next_offset = next_offset

    def _at(self, index: int) -> tuple[int, int, int, int | None, int] | None:
        """Entry `index` as `find` gives it, or None when it is skipped."""
        at = 4 * index
        flat = self._flat
        size = TYPE_SIZES.get(flat[at + 1])
        if size is None:
            return None  # unknown type: the spec says readers skip it
        count = flat[at + 2]
        length = size * count  # Python ints: a count near 2**32 cannot overflow here
        if length <= 4:
            return flat[at + 1], count, self._table_at + 12 * index + 8, None, length
        value_at = flat[at + 3]
        if value_at + length > len(self._data):
            return None
        return flat[at + 1], count, value_at, value_at, length

    def find(self, tag: int) -> tuple[int, int, int, int | None, int] | None:
        """The tag's (type, count, where its value starts, value_offset or None when inline,
        value length), without slicing the value out; None without the tag."""
        tags = self._tags
        if tag not in tags:
            return None
        index = tags.index(tag)
        # _at(index), inline: this runs a score of times per photo.
        flat = self._flat
        at = 4 * index
        typ = flat[at + 1]
        size = TYPE_SIZES.get(typ)
        if size is not None:
            count = flat[at + 2]
            length = size * count
            if length <= 4:
                return typ, count, self._table_at + 12 * index + 8, None, length
            value_at = flat[at + 3]
            if value_at + length <= len(self._data):
                return typ, count, value_at, value_at, length
        # The first entry with this tag is skipped: a later valid one counts (rare).
        for later in range(index + 1, len(tags)):
            if tags[later] == tag and (found := self._at(later)) is not None:
                return found
        return None

    @property
    def skipped(self) -> int:
        """Entries dropped: unknown type, or a value pointing outside the data."""
        if self._skipped is None:
            skipped, limit, size_of, flat = 0, len(self._data), TYPE_SIZES.get, self._flat
            for typ, count, value_at in zip(flat[1::4], flat[2::4], flat[3::4], strict=True):
                size = size_of(typ)
                if size is None or (size * count > 4 and value_at + size * count > limit):
                    skipped += 1
            self._skipped = skipped
        return self._skipped

    @property
    def has_entries(self) -> bool:
        """True when some entry is readable (`entries` is not empty), without making them."""
        return self.skipped < len(self._tags)

    def get(self, tag: int) -> Entry | None:
        found = self.find(tag)
        if found is None:
            return None
        typ, count, start, value_offset, length = found
        value = self._data[start : start + length]
        return Entry(tag, typ, count, value, value_offset, self._order)

    def first_int(self, tag: int) -> int | None:
        """`get(tag).first_int()` without making the Entry (the common case, kept cheap)."""
        tags = self._tags
        if tag not in tags:
            return None
        index = tags.index(tag)
        typ, count = self._flat[4 * index + 1], self._flat[4 * index + 2]
        read = self._int_readers.get(typ)
        if read is not None and 0 < TYPE_SIZES[typ] * count <= 4:
            # The usual: a SHORT or LONG held in the entry itself, which is always readable.
            return int(read(self._data, self._table_at + 12 * index + 8)[0])
        found = self.find(tag)
        if found is None or found[1] == 0:
            return None
        read = self._int_readers.get(found[0])
        return None if read is None else int(read(self._data, found[2])[0])

    def text(self, tag: int) -> str:
        """`get(tag).text()`, or "" without the tag, without making the Entry."""
        found = self.find(tag)
        if found is None or found[0] not in (ASCII, UNDEFINED, 1):
            return ""
        start, length = found[2], found[4]
        raw = self._data[start : start + length].split(b"\x00", 1)[0]
        return raw.decode("utf-8", "replace").strip()

    @property
    def entries(self) -> dict[int, Entry]:
        found: dict[int, Entry] = {}
        for index, tag in enumerate(self._tags):
            if tag not in found and (value := self._at(index)) is not None:
                typ, count, start, value_offset, length = value
                data = self._data[start : start + length]
                found[tag] = Entry(tag, typ, count, data, value_offset, self._order)
        return found


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
        (count,) = struct.unpack_from(order + "H", data, offset)
        table_end = offset + 2 + 12 * count
        if count > max_entries or table_end > len(data):
            raise TiffError(f"IFD at {offset} claims {count} entries, more than the data holds")
        # The whole table in one C-level unpack; values are checked when a tag is asked for.
        table = _TABLE_FORMATS.get((order, count))
        if table is None:
            table = struct.Struct(order + "HHII" * count)
            if count <= _CACHED_TABLE_ENTRIES:
                _TABLE_FORMATS[(order, count)] = table
        flat = table.unpack_from(data, offset + 2)
        next_offset = 0
        if table_end + 4 <= len(data):
            (next_offset,) = struct.unpack_from(order + "I", data, table_end)
        return Ifd(data, order, flat, offset + 2, next_offset)
