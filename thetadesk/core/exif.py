"""The few EXIF facts inspection needs, including the Ricoh THETA MakerNote.

`parse_exif` never raises: a damaged part is skipped and described in `problems`, so one bad
pointer costs that fact only, not the whole inspection.
"""

from __future__ import annotations

import struct
from collections import namedtuple

from thetadesk.core.tiff import MAX_VALUES_DECODED, Entry, Ifd, TiffData, TiffError

# IFD0 / IFD1
MAKE, MODEL, ORIENTATION, SOFTWARE = 0x010F, 0x0110, 0x0112, 0x0131
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
COMPRESSION, THUMB_OFFSET, THUMB_LENGTH = 0x0103, 0x0201, 0x0202
# Exif IFD
DATETIME_ORIGINAL, MAKER_NOTE = 0x9003, 0x927C
PIXEL_X, PIXEL_Y = 0xA002, 0xA003
# GPS IFD
GPS_LATITUDE, GPS_LONGITUDE = 0x0002, 0x0004
# Ricoh MakerNote and its THETA sub-IFD
RICOH_SERIAL, RICOH_THETA_IFD = 0x0005, 0x4001
THETA_IMAGE_TYPE, THETA_ZENITH = 0x0001, 0x0007
RICOH_MAKERNOTE_HEADERS = (b"Ricoh\x00\x00\x00", b"RICOH\x00\x00\x00")
_RATIONAL = (5, 10)  # RATIONAL, SRATIONAL
_VISIBLE_ASCII = bytes(range(0x21, 0x7F))


class RicohMakerNote(namedtuple("RicohMakerNote", "serial theta_image_type zenith_corrected")):
    """What inspection reads of a Ricoh MakerNote (a named tuple: see jpeg_segments)."""

    __slots__ = ()
    serial: str | None
    theta_image_type: int | None  # 1 equirectangular, 2-3 dual-fisheye, 4-6 fisheye
    zenith_corrected: bool | None


_EXIF_FIELDS = (
    "make model software orientation datetime_original pixel_width pixel_height has_gps "
    "thumbnail ricoh problems"
)


class ExifInfo(
    namedtuple("ExifInfo", _EXIF_FIELDS, defaults=("", "", "", None, None, None, None, False,
                                                    None, None, ()))
):  # fmt: skip
    """The EXIF facts inspection needs (a named tuple: see jpeg_segments)."""

    __slots__ = ()
    make: str
    model: str
    software: str
    orientation: int | None
    datetime_original: str | None
    pixel_width: int | None
    pixel_height: int | None
    has_gps: bool
    thumbnail: bytes | None
    ricoh: RicohMakerNote | None
    problems: tuple[str, ...]


def parse_exif(data: bytes) -> ExifInfo:
    problems: list[str] = []
    try:
        tiff = TiffData(data)
        ifd0 = tiff.read_ifd(tiff.first_ifd_offset)
    except TiffError as error:
        return ExifInfo(problems=(f"EXIF data unreadable ({error}); ignored",))
    if ifd0.skipped:
        problems.append("some EXIF values point outside the EXIF data; ignored")
    exif_ifd = _sub_ifd(tiff, ifd0, EXIF_IFD, "Exif", problems)
    gps_ifd = _sub_ifd(tiff, ifd0, GPS_IFD, "GPS", problems)
    ricoh = datetime_original = pixel_width = pixel_height = None
    if exif_ifd is not None:
        datetime_original = exif_ifd.text(DATETIME_ORIGINAL) or None
        pixel_width = exif_ifd.first_int(PIXEL_X)
        pixel_height = exif_ifd.first_int(PIXEL_Y)
        maker_note = exif_ifd.find(MAKER_NOTE)
        if maker_note is not None:
            ricoh = _parse_ricoh(tiff, maker_note, problems)
    return ExifInfo(
        make=ifd0.text(MAKE),
        model=ifd0.text(MODEL),
        software=ifd0.text(SOFTWARE),
        orientation=ifd0.first_int(ORIENTATION),
        datetime_original=datetime_original,
        pixel_width=pixel_width,
        pixel_height=pixel_height,
        has_gps=gps_ifd is not None and _has_position(gps_ifd, tiff),
        thumbnail=_thumbnail(tiff, ifd0, problems),
        ricoh=ricoh,
        problems=tuple(problems),
    )


def _sub_ifd(tiff: TiffData, parent: Ifd, tag: int, name: str, problems: list[str]) -> Ifd | None:
    offset = parent.first_int(tag)
    if offset is None:
        return None
    try:
        return tiff.read_ifd(offset)
    except TiffError as error:
        problems.append(f"{name} IFD unreadable ({error}); ignored")
        return None


def _has_position(gps: Ifd, tiff: TiffData) -> bool:
    latitude, longitude = gps.find(GPS_LATITUDE), gps.find(GPS_LONGITUDE)
    if latitude is None or longitude is None:
        return False
    # Six rationals in all (degrees, minutes, seconds of each); a value of another type
    # counts as none. All-zero coordinates are what some firmware writes when it had no fix.
    values = [(typ, min(count, MAX_VALUES_DECODED), start) for typ, count, start, _, _ in
              (latitude, longitude) if typ in _RATIONAL]  # fmt: skip
    if sum(count for _, count, _ in values) != 6:
        return False
    data, order = tiff.data, tiff.byte_order
    for typ, count, start in values:
        fmt = "I" if typ == 5 else "i"
        if any(struct.unpack_from(f"{order}{2 * count}{fmt}", data, start)[::2]):
            return True
    return False


def _thumbnail(tiff: TiffData, ifd0: Ifd, problems: list[str]) -> bytes | None:
    if ifd0.next_offset == 0:
        return None
    try:
        ifd1 = tiff.read_ifd(ifd0.next_offset)
    except TiffError as error:
        problems.append(f"EXIF thumbnail directory unreadable ({error}); ignored")
        return None
    offset, length = ifd1.first_int(THUMB_OFFSET), ifd1.first_int(THUMB_LENGTH)
    if offset is None or not length:
        return None
    if offset + length > len(tiff.data):
        problems.append("the EXIF thumbnail points outside the EXIF data; ignored")
        return None
    if not tiff.data.startswith(b"\xff\xd8", offset, offset + length):
        return None
    return tiff.data[offset : offset + length]


def _parse_ricoh(
    tiff: TiffData, maker_note: tuple[int, int, int, int | None, int], problems: list[str]
) -> RicohMakerNote | None:
    _, _, start, value_offset, length = maker_note
    if value_offset is None or length < 8:
        return None  # a note that fits inline holds nothing of Ricoh's
    if not tiff.data.startswith(RICOH_MAKERNOTE_HEADERS, start, start + 8):
        return None  # another maker's note, or Ricoh's old text format: nothing for us
    try:
        main = tiff.read_ifd(value_offset + 8)
    except TiffError as error:
        problems.append(f"Ricoh MakerNote unreadable ({error}); ignored")
        return None
    image_type = zenith = None
    theta_offset = main.first_int(RICOH_THETA_IFD)
    if theta_offset is not None:
        theta = _theta_ifd(tiff, theta_offset, problems)
        if theta is not None:
            image_type = theta.first_int(THETA_IMAGE_TYPE)
            zenith_value = theta.first_int(THETA_ZENITH)
            zenith = None if zenith_value is None else bool(zenith_value)
    return RicohMakerNote(_serial(main.get(RICOH_SERIAL)), image_type, zenith)


def _theta_ifd(tiff: TiffData, offset: int, problems: list[str]) -> Ifd | None:
    # Editors that re-save EXIF move the MakerNote without fixing this absolute offset, so
    # what it points at may be anything: accept it only if it looks like a real IFD.
    try:
        theta = tiff.read_ifd(offset, max_entries=256)
    except TiffError as error:
        problems.append(f"THETA MakerNote data unreadable ({error}); ignored")
        return None
    image_type = theta.first_int(THETA_IMAGE_TYPE)
    if (
        theta.skipped
        or not theta.has_entries
        or (image_type is not None and not 1 <= image_type <= 6)
    ):
        problems.append("THETA MakerNote data looks damaged (file re-saved by an editor?); ignored")
        return None
    return theta


def _serial(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    text = entry.data.split(b"\x00", 1)[0].strip()
    # Non-THETA Ricoh cameras store a binary internal number here: ignore that.
    if not text or text.translate(None, _VISIBLE_ASCII):  # something outside 0x21-0x7E
        return None
    return text.decode("ascii")
