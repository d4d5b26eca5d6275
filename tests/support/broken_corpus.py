"""Issue 8's corpus of broken files and odd paths, generated (small, synthetic, no personal data).

Each `Case` writes one file and says what inspecting it must give: the verdict and a substring
of one of the reasons. Each `DropCase` builds a folder to drop (or pass to the CLI) and says
which photos `find_photos` must find in it and how `thetadesk check` must end.

The damage is done here at byte level, with this module's own small TIFF/JPEG walkers, so the
corpus does not grade thetadesk's readers with their own code. Everything is deterministic.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.support.theta_fixtures import (
    GPANO_NS,
    XMP_EXTENSION_HEADER,
    app1,
    build_xmp_packet,
    gpano_properties,
    insert_segments,
    make_dualfisheye,
    make_oversized_header,
    make_png,
    make_theta_jpeg,
)
from thetadesk.core.verdict_rules import Verdict

STITCH = "stitch it in the THETA app first"
THETA_OK = "stitched 360° photo from RICOH THETA V"
NOT_LINUX = None if sys.platform.startswith("linux") else "names that are not UTF-8 need Linux"
NO_SYMLINKS = "needs symlinks" if os.name == "nt" else None

Maker = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    """One file and its expected verdict."""

    id: str
    section: str  # the part of issue 8 this comes from
    bullet: str  # the words for it
    make: Maker  # writes the file at the given path, returns it
    verdict: Verdict
    reason: str  # a substring of one of the reasons
    filename: str | bytes = ""  # default "<id>.JPG"; bytes for a name that is not UTF-8
    unreadable: bool = False  # made unreadable (chmod 000) after it is written
    never_decode: bool = False  # must be judged from its header alone
    skip: str | None = None

    @property
    def name_bytes(self) -> bytes:
        if isinstance(self.filename, bytes):
            return self.filename
        return os.fsencode(self.filename or f"{self.id}.JPG")


@dataclass(frozen=True)
class DropCase:
    """A folder given to find_photos and to `thetadesk check`."""

    id: str
    bullet: str
    make: Maker  # fills the given empty folder; returns what is dropped
    found: tuple[str, ...]  # find_photos' result, relative to what was dropped
    exit_code: int  # of `thetadesk check`
    output: str  # a substring of the CLI's output (stdout and stderr)
    skip: str | None = None


# -- byte-level helpers (independent of thetadesk) --------------------------------------------


def _segments(jpeg: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, segment start, segment end) from SOI up to and including SOS."""
    at = 2
    while at + 4 <= len(jpeg):
        marker = jpeg[at + 1]
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        yield marker, at, at + 2 + length
        if marker == 0xDA:
            return
        at += 2 + length


def _edit_exif(jpeg: bytes, edit: Callable[[bytearray], bytes | None]) -> bytes:
    """Apply `edit` to the big-endian TIFF inside the Exif APP1 (it may return new bytes)."""
    for marker, start, end in _segments(jpeg):
        if marker == 0xE1 and jpeg[start + 4 : start + 10] == b"Exif\x00\x00":
            tiff = bytearray(jpeg[start + 10 : end])
            replaced = edit(tiff)
            payload = b"Exif\x00\x00" + (bytes(tiff) if replaced is None else replaced)
            return jpeg[:start] + app1(payload) + jpeg[end:]
    raise ValueError("no Exif APP1")


def _drop_segments(jpeg: bytes, drop: Callable[[bytes], bool]) -> bytes:
    kept, last = [jpeg[:2]], 2
    for _marker, start, end in _segments(jpeg):
        if not drop(jpeg[start:end]):
            kept.append(jpeg[start:end])
        last = end
    return b"".join(kept) + jpeg[last:]


def _entry(tiff: bytes, ifd_at: int, tag: int) -> int:
    """Where a tag's 12-byte entry sits in a big-endian IFD."""
    (count,) = struct.unpack(">H", tiff[ifd_at : ifd_at + 2])
    for index in range(count):
        at = ifd_at + 2 + 12 * index
        if struct.unpack(">H", tiff[at : at + 2])[0] == tag:
            return at
    raise KeyError(hex(tag))


def _u32(tiff: bytes, at: int) -> int:
    return int(struct.unpack(">I", tiff[at : at + 4])[0])


def _next_ifd(tiff: bytes, ifd_at: int) -> int:
    (count,) = struct.unpack(">H", tiff[ifd_at : ifd_at + 2])
    return _u32(tiff, ifd_at + 2 + 12 * count)


def _scan_start(jpeg: bytes) -> int:
    sos = jpeg.rindex(b"\xff\xda")  # the main image's: the EXIF thumbnail has one too
    (length,) = struct.unpack(">H", jpeg[sos + 2 : sos + 4])
    return sos + 2 + length


def _extension_segments(packet: bytes, guid: str, chunk: int = 500) -> list[bytes]:
    segments = []
    for offset in range(0, len(packet), chunk):
        header = (
            XMP_EXTENSION_HEADER + guid.encode("ascii") + struct.pack(">II", len(packet), offset)
        )
        segments.append(app1(header + packet[offset : offset + chunk]))
    return segments


# -- makers: structure ------------------------------------------------------------------------


def _theta(**options: object) -> Maker:
    return lambda path: make_theta_jpeg(path, **options)  # type: ignore[arg-type]


def _edited(base: Maker, change: Callable[[bytes], bytes]) -> Maker:
    def make(path: Path) -> Path:
        base(path)
        path.write_bytes(change(path.read_bytes()))
        return path

    return make


def _written(data: bytes) -> Maker:
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


def _tiff_image(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (40, 90, 160)).save(out, "TIFF")
    path.write_bytes(out.getvalue())
    return path


# A HEIC starts with an ISO BMFF "ftyp" box whose major brand is heic; the rest is not parsed.
HEIC_HEAD = struct.pack(">I", 24) + b"ftypheic" + bytes(4) + b"mif1heic"
HEIC = HEIC_HEAD + struct.pack(">I", 40) + b"meta" + bytes(32) + bytes(1024)


def _le_ifd(entries: list[tuple[int, int, int, bytes]], at: int) -> bytes:
    """A little-endian IFD at offset `at`, values over 4 bytes right after it."""
    entries = sorted(entries)
    data_at = at + 2 + 12 * len(entries) + 4
    table, tail = bytearray(struct.pack("<H", len(entries))), bytearray()
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, typ, count, data_at + len(tail))
            tail += value + b"\x00" * (len(value) % 2)
    return bytes(table + struct.pack("<I", 0) + tail)


def theta_z1_dng() -> bytes:
    """The head of a THETA Z1 raw: a little-endian TIFF whose IFD0 carries DNGVersion."""
    model = b"RICOH THETA Z1\x00"
    ifd0 = [
        (0x00FE, 4, 1, struct.pack("<I", 0)),  # NewSubfileType: the main image
        (0x010F, 2, 6, b"RICOH\x00"),
        (0x0110, 2, len(model), model),
        (0x0131, 2, 12, b"Ver 2.10.3\x00\x00"),
        (0xC612, 1, 4, bytes([1, 4, 0, 0])),  # DNGVersion
        (0xC613, 1, 4, bytes([1, 1, 0, 0])),  # DNGBackwardVersion
        (0xC614, 2, len(model), model),  # UniqueCameraModel
    ]
    return b"II*\x00" + struct.pack("<I", 8) + _le_ifd(ifd0, 8) + bytes(4096)


def _cut_mid_scan(jpeg: bytes) -> bytes:
    start = _scan_start(jpeg)
    return jpeg[: start + (len(jpeg) - start) // 2]


def _cut_then_zero_filled(jpeg: bytes) -> bytes:
    # A copy that was preallocated and never finished: full length, zeros after the cut.
    kept = _cut_mid_scan(jpeg)
    return kept + bytes(len(jpeg) - len(kept))


def make_genuine_theta_x(path: str | os.PathLike[str]) -> Path:
    """A real 11008×5504 (60.6 Mpx) JPEG with THETA X metadata: about 1 MB and under a second.

    Real pixels (a few flat rectangles), not a rewritten frame header, so whatever decodes it
    (a thumbnail, the server) meets the largest size the cap must let through.
    """
    return make_theta_jpeg(path, model="RICOH THETA X", width=11008, height=5504)


# -- makers: EXIF -----------------------------------------------------------------------------


def _exif_pointer_past_segment(tiff: bytearray) -> None:
    at = _entry(tiff, 8, 0x8769)
    tiff[at + 8 : at + 12] = struct.pack(">I", len(tiff) + 64)


def _first_ifd_past_segment(tiff: bytearray) -> None:
    tiff[4:8] = struct.pack(">I", 0xFFFFFF00)


def _ifd0_claims_65535_entries(tiff: bytearray) -> None:
    tiff[8:10] = struct.pack(">H", 0xFFFF)


def _model_count_near_2_31(tiff: bytearray) -> None:
    at = _entry(tiff, 8, 0x0110)
    tiff[at + 4 : at + 8] = struct.pack(">I", 0x7FFFFFFF)


def _orientation_count_wrapping_32_bits(tiff: bytearray) -> None:
    # 2 bytes × 0x80000002 is 4 modulo 2^32: a reader with 32-bit arithmetic would take the
    # value as inline. It must be treated as the huge out-of-range value it is.
    at = _entry(tiff, 8, 0x0112)
    tiff[at + 4 : at + 8] = struct.pack(">I", 0x80000002)


def _thumbnail_pointer_out_of_range(tiff: bytearray) -> None:
    at = _entry(tiff, _next_ifd(tiff, 8), 0x0201)
    tiff[at + 8 : at + 12] = struct.pack(">I", len(tiff) - 10)


def _doubled_exif_header(tiff: bytearray) -> bytes:
    return b"Exif\x00\x00" + bytes(tiff)


# -- makers: XMP ------------------------------------------------------------------------------

GPANO_PACKET = build_xmp_packet(gpano_properties(64, 32))
EXTENDED_GUID = "89ABCDEF0123456789ABCDEF01234567"
HAS_EXTENDED = (
    '<rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
    f'xmpNote:HasExtendedXMP="{EXTENDED_GUID}"/>'
)
GPANO_PACKET_WITH_EXTENSION = build_xmp_packet(gpano_properties(64, 32), extra=HAS_EXTENDED)
DEPTH_MAP = (  # what Extended XMP usually carries: a big base64 blob (a depth map)
    '<rdf:Description rdf:about="" xmlns:GDepth="http://ns.google.com/photos/1.0/depthmap/" '
    f'GDepth:Format="RangeInverse" GDepth:Data="{"QUJD" * 900}"/>'
)
ENTITY_BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE x:xmpmeta [
 <!ENTITY a "equirectangular">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}" GPano:ProjectionType="&f;"/>
</rdf:RDF></x:xmpmeta>""".encode()
EXTERNAL_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE x:xmpmeta [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}">
<GPano:ProjectionType>&xxe;</GPano:ProjectionType></rdf:Description></rdf:RDF></x:xmpmeta>""".encode()
EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE x:xmpmeta [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}" GPano:ProjectionType="equirectangular"/>
</rdf:RDF></x:xmpmeta>""".encode()
UNDECLARED_GPANO = build_xmp_packet(
    {}, extra='<rdf:Description rdf:about="" GPano:ProjectionType="equirectangular"/>'
)


def _packet(packet: bytes, **options: object) -> Maker:
    """A THETA V file with this XMP packet; no MakerNote unless asked, so XMP must prove it."""
    options.setdefault("image_type", None)
    return _theta(xmp_packet=packet, **options)


def _with_extension(main: bytes, extension: bytes, **options: object) -> Maker:
    def add(jpeg: bytes) -> bytes:
        return insert_segments(jpeg, _extension_segments(extension, EXTENDED_GUID))

    return _edited(_packet(main, **options), add)


def _is_extension(segment: bytes) -> bool:
    return segment[4:].startswith(XMP_EXTENSION_HEADER)


def _without_second_extension_chunk(jpeg: bytes) -> bytes:
    seen = 0

    def second(segment: bytes) -> bool:
        nonlocal seen
        if not _is_extension(segment):
            return False
        seen += 1
        return seen == 2

    return _drop_segments(jpeg, second)


# -- makers: paths ----------------------------------------------------------------------------


def _apple_double(path: Path) -> Path:
    """A macOS "._" companion: AppleDouble header, Finder info, no pixels at all."""
    entries = struct.pack(">III", 9, 50, 32) + struct.pack(">III", 2, 82, 0)
    head = b"\x00\x05\x16\x07" + b"\x00\x02\x00\x00" + b"Mac OS X        " + b"\x00\x02" + entries
    path.write_bytes(head.ljust(50, b"\x00") + b"JPEGprvw" + bytes(4096 - 58))
    return path


def _thumbs_db(path: Path) -> Path:
    """Windows Explorer's thumbnail cache: an OLE compound file."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff"
    path.write_bytes(header.ljust(512, b"\x00") + bytes(1024))
    return path


def _symlink_to_itself(path: Path) -> Path:
    path.symlink_to(path.name)
    return path


def _nfd(text: str) -> str:
    # What macOS file systems hand back: "ș" as "s" + COMBINING COMMA BELOW.
    return unicodedata.normalize("NFD", text)


# -- the file cases -----------------------------------------------------------------------------

STRUCTURE, EXIF, XMP, THETA, PATHS = (
    "Files: structure",
    "Files: EXIF",
    "Files: XMP",
    "Files: THETA",
    "Paths and drops",
)
R, W, NR, OK = Verdict.REJECTED, Verdict.WARNING, Verdict.NEEDS_REVIEW, Verdict.OK


def file_cases() -> list[Case]:
    """Every file case of issue 8. Writing them all takes about a second (the 60 Mpx one)."""
    empty: Maker = lambda path: (path.touch(), path)[1]  # noqa: E731
    theta = _theta()
    bigger = _theta(width=256, height=128, seed=7)  # a few KB of scan data to cut into
    return [
        # Structure
        Case("zero-byte", STRUCTURE, "zero-byte file", empty, R, "empty file (zero bytes)"),
        Case("png-as-jpg", STRUCTURE, "PNG named .JPG", make_png, R, "this is a PNG image"),
        Case("tiff-as-jpg", STRUCTURE, "TIFF named .JPG", _tiff_image, R, "this is a TIFF image"),
        Case("heic-as-jpg", STRUCTURE, "HEIC named .JPG", _written(HEIC), R, "a HEIC/HEIF image"),
        Case(
            "z1-dng",
            STRUCTURE,
            "a Z1 raw .DNG (TIFF magic)",
            _written(theta_z1_dng()),
            R,
            "DNG raw file from a RICOH THETA Z1: upload the JPEG",
            filename="R0010001.DNG",
        ),
        Case(
            "cut-no-eoi",
            STRUCTURE,
            "JPEG cut short: end marker missing",
            _edited(bigger, lambda data: data[:-2]),
            R,
            "the JPEG end marker is missing",
        ),
        Case(
            "cut-mid-scan",
            STRUCTURE,
            "JPEG cut short: cut mid-scan",
            _edited(bigger, _cut_mid_scan),
            R,
            "truncated file",
        ),
        Case(
            "cut-zero-filled",
            STRUCTURE,
            "JPEG cut short: preallocated copy, zeros after the cut",
            _edited(bigger, _cut_then_zero_filled),
            R,
            "truncated file",
        ),
        Case(
            "cut-in-header",
            STRUCTURE,
            "JPEG cut short: inside the header",
            _edited(theta, lambda data: data[:400]),
            R,
            "truncated file: it ends inside the JPEG header",
        ),
        Case(
            "header-30000x15000",
            STRUCTURE,
            "a header declaring 30000×15000 (refused before decoding)",
            make_oversized_header,
            R,
            "pixel count over the cap: the header declares 30000×15000",
            never_decode=True,
        ),
        Case(
            "genuine-11008x5504",
            STRUCTURE,
            "a genuine 11008×5504 (accepted)",
            make_genuine_theta_x,
            OK,
            "stitched 360° photo from RICOH THETA X, 11008×5504",
            filename="R0010100.JPG",
        ),
        # EXIF
        Case(
            "exif-first-ifd-past-segment",
            EXIF,
            "IFD offsets past the segment (IFD0)",
            _edited(theta, lambda d: _edit_exif(d, _first_ifd_past_segment)),
            OK,  # the GPano still proves it; the EXIF facts are lost, and that is said
            "EXIF data unreadable (IFD offset",
        ),
        Case(
            "exif-subifd-past-segment",
            EXIF,
            "IFD offsets past the segment (Exif IFD pointer)",
            _edited(theta, lambda d: _edit_exif(d, _exif_pointer_past_segment)),
            OK,
            "Exif IFD unreadable",
        ),
        Case(
            "exif-65535-entries",
            EXIF,
            "an entry count near the limit (IFD0 claims 65535 entries)",
            _edited(theta, lambda d: _edit_exif(d, _ifd0_claims_65535_entries)),
            OK,
            "claims 65535 entries",
        ),
        Case(
            "exif-count-2^31",
            EXIF,
            "an entry count near 2^31 (Model value count 0x7FFFFFFF)",
            _edited(theta, lambda d: _edit_exif(d, _model_count_near_2_31)),
            OK,
            "some EXIF values point outside the EXIF data",
        ),
        Case(
            "exif-count-wraps-32-bits",
            EXIF,
            "an entry count whose byte size wraps 32 bits (SHORT × 0x80000002)",
            _edited(theta, lambda d: _edit_exif(d, _orientation_count_wrapping_32_bits)),
            OK,
            "some EXIF values point outside the EXIF data",
        ),
        Case(
            "exif-doubled-header",
            EXIF,
            r"a doubled Exif\0\0Exif\0\0 header",
            _edited(theta, lambda d: _edit_exif(d, _doubled_exif_header)),
            OK,
            THETA_OK,
        ),
        Case(
            "exif-thumbnail-out-of-range",
            EXIF,
            "a thumbnail pointer out of range",
            _edited(theta, lambda d: _edit_exif(d, _thumbnail_pointer_out_of_range)),
            OK,
            "the EXIF thumbnail points outside the EXIF data",
        ),
        Case(
            "makernote-4001-out-of-range",
            EXIF,
            "a Ricoh MakerNote whose 0x4001 offset is out of range",
            _theta(theta_offset=0x7FFFFFF0),
            OK,  # GPano proves it
            "THETA MakerNote data unreadable",
        ),
        Case(
            "makernote-4001-out-of-range-no-gpano",
            EXIF,
            "a Ricoh MakerNote whose 0x4001 offset is out of range, and no GPano",
            _theta(theta_offset=0x7FFFFFF0, gpano=False),
            NR,
            "nothing proves it is a 360° photo",
        ),
        Case(
            "orientation-6",
            EXIF,
            "Orientation other than 1 on a 2:1 image (flag it; never rotate)",
            _theta(orientation=6),
            W,
            "EXIF Orientation is 6, not 1: a panorama is never rotated",
        ),
        # XMP (no MakerNote: only the GPano found in the XMP can make these `ok`)
        Case(
            "xmp-nul-padding",
            XMP,
            "NUL padding",
            _packet(GPANO_PACKET + bytes(2000)),
            OK,
            THETA_OK,
        ),
        Case(
            "xmp-utf8-bom",
            XMP,
            "a byte-order mark (UTF-8)",
            _packet(b"\xef\xbb\xbf" + GPANO_PACKET),
            OK,
            THETA_OK,
        ),
        Case(
            "xmp-utf16-bom",
            XMP,
            "a byte-order mark (UTF-16)",
            _packet(GPANO_PACKET.decode().encode("utf-16")),
            OK,
            THETA_OK,
        ),
        Case(
            "xmp-trailing-garbage",
            XMP,
            "trailing garbage",
            _packet(GPANO_PACKET + b"\xff\xfe\x00 garbage <not xml &amp"),
            OK,
            THETA_OK,
        ),
        Case(
            "gpano-attributes",
            XMP,
            "GPano as attributes",
            _theta(image_type=None, gpano="attributes"),
            OK,
            THETA_OK,
        ),
        Case(
            "gpano-elements",
            XMP,
            "GPano as elements",
            _theta(image_type=None, gpano="elements"),
            OK,
            THETA_OK,
        ),
        Case(
            "gpano-split",
            XMP,
            "GPano split over several rdf:Description blocks",
            _theta(image_type=None, gpano="split"),
            OK,
            THETA_OK,
        ),
        Case(
            "gpano-other-prefix",
            XMP,
            "another prefix bound to the GPano namespace",
            _theta(image_type=None, gpano="split", gpano_prefix="pano360"),
            OK,
            THETA_OK,
        ),
        Case(
            "xmp-undeclared-prefix",
            XMP,
            "an undeclared prefix (GPano: used without xmlns:GPano)",
            _packet(UNDECLARED_GPANO, image_type=1),
            W,  # the MakerNote still says equirectangular
            "XMP metadata unreadable (bad XML: unbound prefix",
        ),
        Case(
            "extended-xmp-gpano-in-main",
            XMP,
            "Extended XMP, GPano in the main packet",
            _with_extension(GPANO_PACKET_WITH_EXTENSION, build_xmp_packet({}, extra=DEPTH_MAP)),
            OK,
            THETA_OK,
        ),
        Case(
            "extended-xmp-gpano-only-there",
            XMP,
            "Extended XMP, GPano only in the extension",
            _theta(image_type=None, extended_xmp=True),
            OK,
            THETA_OK,
        ),
        Case(
            "extended-xmp-chunk-missing",
            XMP,
            "Extended XMP, GPano only in the extension, one chunk missing",
            _edited(_theta(image_type=None, extended_xmp=True), _without_second_extension_chunk),
            NR,
            "Extended XMP incomplete; ignored",
        ),
        Case(
            "xmp-external-entity",
            XMP,
            "external entities (never expanded)",
            _packet(EXTERNAL_ENTITY),
            NR,
            "DOCTYPE/ENTITY declarations are refused, not expanded",
        ),
        Case(
            "xmp-external-dtd",
            XMP,
            "an external parameter entity / DTD (never fetched)",
            _packet(EXTERNAL_DTD),
            NR,
            "DOCTYPE/ENTITY declarations are refused, not expanded",
        ),
        Case(
            "xmp-entity-bomb",
            XMP,
            "entity expansion bombs (never expanded)",
            _packet(ENTITY_BOMB),
            NR,
            "DOCTYPE/ENTITY declarations are refused, not expanded",
        ),
        Case(
            "extended-xmp-entity-bomb",
            XMP,
            "an entity bomb in Extended XMP (GPano in the main packet)",
            _with_extension(GPANO_PACKET_WITH_EXTENSION, ENTITY_BOMB),
            OK,
            "Extended XMP unreadable (DOCTYPE/ENTITY declarations are refused",
        ),
        Case(
            "projection-cylindrical",
            XMP,
            "ProjectionType cylindrical",
            _theta(projection="cylindrical"),
            R,
            "projection is cylindrical, not equirectangular",
        ),
        Case(
            "use-panorama-viewer-false",
            XMP,
            "UsePanoramaViewer False",
            _theta(gpano_props={"UsePanoramaViewer": "False"}),
            OK,
            "GPano UsePanoramaViewer is False",
        ),
        # THETA
        Case(
            "image-type-2",
            THETA,
            "image type 2 (dual-fisheye)",
            lambda path: make_dualfisheye(path, image_type=2),
            R,
            f"dual-fisheye image: {STITCH}",
        ),
        Case(
            "image-type-3",
            THETA,
            "image type 3 (dual-fisheye)",
            lambda path: make_dualfisheye(path, image_type=3),
            R,
            f"dual-fisheye image: {STITCH}",
        ),
        Case(
            "theta-gpano-removed",
            THETA,
            "a THETA equirectangular with GPano removed",
            _theta(gpano=False),
            W,
            "THETA equirectangular photo without GPano: viewers may show it flat",
        ),
        Case(
            "gpano-size-disagrees",
            THETA,
            "GPano sizes that disagree with the pixels",
            _theta(gpano_size=(128, 64)),
            W,
            "GPano says 128×64 but the image is 64×32",
        ),
        # Paths: good photos under odd names, and files that are not photos at all
        Case(
            "name-japanese",
            PATHS,
            "non-ASCII names (Japanese)",
            theta,
            OK,
            THETA_OK,
            filename="パノラマ写真 東京タワー.JPG",
        ),
        Case(
            "name-romanian",
            PATHS,
            "non-ASCII names (Romanian diacritics ș ț ă î â)",
            theta,
            OK,
            THETA_OK,
            filename="Brașov, ședință în mână, țară.JPG",
        ),
        Case(
            "name-romanian-cedilla-nfd",
            PATHS,
            "non-ASCII names (Romanian: legacy cedilla ş ţ, and NFD as macOS writes)",
            theta,
            OK,
            THETA_OK,
            filename="Constanţa " + _nfd("Timișoara țară") + ".JPG",
        ),
        Case(
            "name-not-utf8",
            PATHS,
            "on Linux a name with bytes that are not UTF-8",
            theta,
            OK,
            THETA_OK,
            filename=b"R0010001 caf\xe9 \xff\xfe\x80.JPG",
            skip=NOT_LINUX,
        ),
        Case(
            "name-spaces-hash-query-percent",
            PATHS,
            "spaces and #?% in names",
            theta,
            OK,
            THETA_OK,
            filename="R0010001 copy #2 (50% off) ?.JPG",
            skip="'?' is not allowed in Windows names" if os.name == "nt" else None,
        ),
        Case(
            "unreadable",
            PATHS,
            "an unreadable file",
            theta,
            R,
            "cannot read the file: Permission denied",
            unreadable=True,
            skip="no chmod 000 on Windows" if os.name == "nt" else None,
        ),
        Case(
            "symlink-to-itself",
            PATHS,
            "a symlink loop given as a file",
            _symlink_to_itself,
            R,
            "cannot read the file: Too many levels of symbolic links",
            skip=NO_SYMLINKS,
        ),
        Case(
            "appledouble-given",
            PATHS,
            "._R0010001.JPG AppleDouble given explicitly (a shell glob picks it up)",
            _apple_double,
            R,
            "a macOS AppleDouble file (Finder metadata, not a photo)",
            filename="._R0010001.JPG",
        ),
        Case(
            "thumbs-db-given",
            PATHS,
            "Thumbs.db given explicitly",
            _thumbs_db,
            R,
            "a Windows compound file (such as Thumbs.db), not a photo",
            filename="Thumbs.db",
        ),
    ]


def write_case(folder: Path, case: Case) -> Path:
    """Write one case in `folder` under its name (as bytes: the name may not be UTF-8)."""
    target = os.path.join(os.fsencode(folder), case.name_bytes)
    if isinstance(case.filename, bytes):
        # Written under an ASCII name, then renamed with bytes paths: no str detour at all.
        scratch = case.make(folder / f".scratch-{case.id}.JPG")
        os.rename(os.fsencode(scratch), target)
    else:
        case.make(Path(os.fsdecode(target)))
    path = Path(os.fsdecode(target))
    if case.unreadable:
        path.chmod(0)
    return path


# -- the drop cases ---------------------------------------------------------------------------


def _loop_folder(root: Path) -> Path:
    roll = root / "roll"
    (roll / "sub").mkdir(parents=True)
    make_theta_jpeg(roll / "R0010001.JPG", seed=1)
    make_theta_jpeg(roll / "sub" / "R0010002.JPG", seed=2)
    (roll / "sub" / "back-to-top").symlink_to(roll, target_is_directory=True)
    (roll / "itself").symlink_to(".", target_is_directory=True)
    (roll / "a").symlink_to("b")  # a loop through two names: neither resolves
    (roll / "b").symlink_to("a")
    return roll


def _leftovers_folder(root: Path) -> Path:
    card = root / "DCIM" / "100RICOH"
    card.mkdir(parents=True)
    make_theta_jpeg(card / "R0010001.JPG")
    _apple_double(card / "._R0010001.JPG")
    _thumbs_db(card / "Thumbs.db")
    _thumbs_db(card / "THUMBS.DB")
    (card / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(2048))
    return root / "DCIM"


JUNK_FILES = 10_000
_JUNK_SUFFIXES = (".txt", ".dat", ".MP4", ".DNG", ".xmp", ".json", "", ".JPG.xmp", ".jpg~", ".tmp")


def _junk_folder(root: Path) -> Path:
    folder = root / "junk"
    folder.mkdir()
    for index in range(JUNK_FILES):
        name = f"R{index:07d}{_JUNK_SUFFIXES[index % len(_JUNK_SUFFIXES)]}"
        with open(folder / name, "wb") as stream:
            stream.write(b"not an image\n")
    make_theta_jpeg(folder / "R0005000.JPG")  # one photo, in the middle of the names
    return folder


def _only_junk_folder(root: Path) -> Path:
    folder = root / "no photos here"
    folder.mkdir()
    for suffix in _JUNK_SUFFIXES:
        (folder / f"notes{suffix}").write_bytes(b"not an image\n")
    _apple_double(folder / "._R0010001.JPG")
    _thumbs_db(folder / "Thumbs.db")
    return folder


def _odd_names_folder(root: Path) -> Path:
    # The folder name mixes a Latin-1 byte (not UTF-8) with text: made with bytes paths.
    folder = os.fsencode(root) + b"/" + "写真".encode() + b" \xe9t\xe9 #1 %20"
    os.mkdir(folder)
    scratch = make_theta_jpeg(root / "scratch.JPG")
    os.rename(os.fsencode(scratch), folder + b"/" + "Brașov ?.JPG".encode())
    return Path(os.fsdecode(folder))


def drop_cases() -> list[DropCase]:
    return [
        DropCase(
            "symlink-loop",
            "a symlink loop in a dropped folder",
            _loop_folder,
            ("R0010001.JPG", "sub/R0010002.JPG"),
            0,
            "2 files: 2 ok",
            skip=NO_SYMLINKS,
        ),
        DropCase(
            "appledouble-and-thumbs-db",
            "._R0010001.JPG AppleDouble files and Thumbs.db ignored",
            _leftovers_folder,
            ("100RICOH/R0010001.JPG",),
            0,
            "1 files: 1 ok",
        ),
        DropCase(
            "10000-non-image-files",
            "a folder of 10,000 non-image files (quick, no hang)",
            _junk_folder,
            ("R0005000.JPG",),
            0,
            "1 files: 1 ok",
        ),
        DropCase(
            "no-photos-at-all",
            "a folder with nothing to upload",
            _only_junk_folder,
            (),
            2,
            "no JPEG files found in",
        ),
        DropCase(
            "odd-folder-name",
            "a folder whose name is Japanese, not UTF-8 and has # %",
            _odd_names_folder,
            ("Brașov ?.JPG",),
            0,
            "1 files: 1 ok",
            skip=NOT_LINUX,
        ),
    ]
