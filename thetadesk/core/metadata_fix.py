"""Fix a THETA panorama's metadata into a copy: correct GPano, byte-for-byte everything else.

For a THETA equirectangular file whose GPano is missing, or whose GPano or EXIF sizes
disagree with the real pixel size (an editor resized it and left stale values), this writes
a corrected copy that inspects as `ok`. The original is only read.

What changes in the copy, and nothing else:
- The main XMP packet (APP1 ``http://ns.adobe.com/xap/1.0/``). When the file has one, it is
  parsed namespace-aware, the GPano properties are updated wherever they are (element or
  attribute form, any prefix), missing ones are added in one new ``rdf:Description``, and
  every other property, the xpacket wrapper and the padding are kept. When the file has none,
  a THETA-style packet is inserted after the Exif segment. A packet that cannot be parsed is
  refused rather than replaced: it may hold someone's captions or rights.
- EXIF PixelX/PixelYDimension, only when they disagree with the pixels: the two values are
  overwritten in place inside the EXIF bytes (same type, same length), so no offset moves.
  Re-saving EXIF with a general library would move the Ricoh MakerNote and break the
  absolute offset inside it (see the THETA metadata notes), so the EXIF block is never
  rebuilt.

The image data (SOS to the end of the file) and every other segment are copied unchanged;
no pixel is decoded or re-encoded. After writing, the copy is inspected: if it is not `ok`,
it is deleted and MetadataFixError says why.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import xml.dom.minidom
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.dom import Node

from thetadesk import __version__
from thetadesk.core.inspection import Inspection, inspect_file
from thetadesk.core.jpeg_segments import (
    APP1,
    EXIF_HEADER,
    SOS,
    XMP_EXTENSION_HEADER,
    XMP_HEADER,
    JpegStructureError,
    XmpChunk,
    iter_segments,
)
from thetadesk.core.verdict_rules import Verdict
from thetadesk.core.xmp import GPANO_NS, XmpError, parse_packet, read_xmp

__all__ = [
    "FIXED_SUFFIX",
    "MetadataFixError",
    "copy_name_for",
    "fix_into_copy",
    "why_not_fixable",
]

log = logging.getLogger(__name__)

FIXED_SUFFIX = "_fixed"
MAX_COPY_NAMES = 1000  # R0010001_fixed.jpg, R0010001_fixed_2.jpg ... then give up

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMLNS_NS = "http://www.w3.org/2000/xmlns/"
_APP1_MAX_PAYLOAD = 0xFFFF - 2

# EXIF tags and TIFF types touched here.
_EXIF_IFD_POINTER, _PIXEL_X, _PIXEL_Y = 0x8769, 0xA002, 0xA003
_SHORT, _LONG = 3, 4

# Where the XMP root element starts (x:xmpmeta with any prefix, or a bare rdf:RDF), as
# xmp.parse_packet finds it: the bytes before and after it (xpacket wrapper, padding) are kept.
_ROOT_START = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?(?:xmpmeta|xapmeta|RDF))[\s>/]")


class MetadataFixError(Exception):
    """The copy cannot be made; str(error) is a sentence for the user."""


@dataclass(frozen=True)
class _Segment:
    marker: int
    start: int  # offset of the segment's FF marker byte
    end: int  # offset just past its body
    body_start: int


# -- eligibility --------------------------------------------------------------------------------


def why_not_fixable(inspection: Inspection) -> str | None:
    """None when `fix_into_copy` can correct this file, else the reason it will refuse.

    Cheap (no I/O): the window can use it to enable or disable its "Fix metadata" action.
    """
    if inspection.verdict is Verdict.OK:
        return "the metadata is already correct: nothing to fix"
    if inspection.verdict is Verdict.REJECTED:
        return f"this file cannot be fixed: {inspection.reasons[0]}"
    if inspection.theta_image_type in (2, 3, 4, 5, 6):
        return "a fisheye image cannot be fixed by metadata: stitch it in the THETA app first"
    if not (inspection.is_theta or inspection.theta_image_type == 1):
        return "only RICOH THETA photos can be fixed (nothing proves this one is a 360° photo)"
    equirectangular = inspection.theta_image_type == 1 or (
        (inspection.projection or "").strip().lower() == "equirectangular"
    )
    if not equirectangular:
        return "nothing proves this is a stitched equirectangular photo (no GPano, no THETA type)"
    if inspection.width is None or inspection.height is None:
        return "the pixel size is unknown"
    if inspection.width != 2 * inspection.height:
        return f"the image is {inspection.width}×{inspection.height}, not 2:1"
    if inspection.orientation not in (None, 1):
        return (
            f"EXIF Orientation is {inspection.orientation}: fixing it is not part of this "
            "(only GPano and the EXIF pixel size are corrected)"
        )
    if not _needs_gpano_fix(inspection) and not _exif_size_wrong(inspection):
        return "GPano and the EXIF pixel size already agree with the pixels: nothing to fix"
    return None


def _target_gpano(width: int, height: int) -> dict[str, str]:
    return {
        "ProjectionType": "equirectangular",
        "UsePanoramaViewer": "True",
        "CroppedAreaImageWidthPixels": str(width),
        "CroppedAreaImageHeightPixels": str(height),
        "FullPanoWidthPixels": str(width),
        "FullPanoHeightPixels": str(height),
        "CroppedAreaLeftPixels": "0",
        "CroppedAreaTopPixels": "0",
    }


def _needs_gpano_fix(inspection: Inspection) -> bool:
    assert inspection.width is not None and inspection.height is not None
    target = _target_gpano(inspection.width, inspection.height)
    for name, value in target.items():
        current = inspection.gpano.get(name)
        if current is None or current.strip().lower() != value.lower():
            return True
    return False


def _exif_size_wrong(inspection: Inspection) -> bool:
    if inspection.exif_width is None or inspection.exif_height is None:
        return False
    return (inspection.exif_width, inspection.exif_height) != (inspection.width, inspection.height)


# -- the copy ---------------------------------------------------------------------------------


def copy_name_for(src: Path, dest_dir: Path) -> Path:
    """The first free `<stem>_fixed.jpg`, `<stem>_fixed_2.jpg`... in dest_dir (not reserved)."""
    for path in _candidate_names(src, dest_dir):
        if not os.path.lexists(path):
            return path
    raise MetadataFixError(f"too many fixed copies of {src.name} in {dest_dir}")


def _candidate_names(src: Path, dest_dir: Path) -> Iterator[Path]:
    yield dest_dir / f"{src.stem}{FIXED_SUFFIX}.jpg"
    for counter in range(2, MAX_COPY_NAMES + 1):
        yield dest_dir / f"{src.stem}{FIXED_SUFFIX}_{counter}.jpg"


def fix_into_copy(src: Path, dest_dir: Path) -> Path:
    """Write a metadata-corrected copy of `src` into `dest_dir`; return the copy's path.

    The copy is named `<stem>_fixed.jpg` (a counter is added rather than overwriting
    anything). `src` is opened read-only. Raises MetadataFixError when the file is not
    eligible (see `why_not_fixable`), when it cannot be read or written, or when the copy
    would not inspect as `ok`.
    """
    src, dest_dir = Path(src), Path(dest_dir)
    if not dest_dir.is_dir():
        raise MetadataFixError(f"the folder {dest_dir} does not exist")
    inspection = inspect_file(src)
    reason = why_not_fixable(inspection)
    if reason is not None:
        raise MetadataFixError(reason)
    assert inspection.width is not None and inspection.height is not None
    try:
        original = src.read_bytes()
    except OSError as error:
        raise MetadataFixError(f"cannot read {src.name}: {error.strerror or error}") from error
    fixed = corrected_bytes(original, inspection.width, inspection.height)
    copy = _write_new_file(src, dest_dir, fixed)
    check = inspect_file(copy)
    if check.verdict is not Verdict.OK:
        copy.unlink(missing_ok=True)
        raise MetadataFixError(
            f"the corrected copy would still be `{check.verdict.value}`: "
            + "; ".join(check.reasons)
        )
    log.info("wrote %s with corrected metadata for %s", copy, src)
    return copy


def _write_new_file(src: Path, dest_dir: Path, data: bytes) -> Path:
    for path in _candidate_names(src, dest_dir):
        try:
            # "x": exclusive creation, so a file that appeared meanwhile is never overwritten.
            stream = open(path, "xb")  # closed below, unlinked if writing fails
        except FileExistsError:
            continue
        except OSError as error:
            raise MetadataFixError(
                f"cannot write into {dest_dir}: {error.strerror or error}"
            ) from error
        try:
            with stream:
                stream.write(data)
        except OSError as error:
            path.unlink(missing_ok=True)
            raise MetadataFixError(
                f"cannot write {path.name}: {error.strerror or error}"
            ) from error
        return path
    raise MetadataFixError(f"too many fixed copies of {src.name} in {dest_dir}")


def corrected_bytes(data: bytes, width: int, height: int) -> bytes:
    """The JPEG `data` with GPano (and, if needed, EXIF PixelX/YDimension) set to width×height.

    Pure function over bytes: everything but the XMP packet and those two EXIF values is
    returned unchanged, in place. Raises MetadataFixError when the file cannot be fixed safely.
    """
    segments = _segments_before_scan(data)
    exif = next((s for s in segments if _is_app1(data, s, EXIF_HEADER)), None)
    xmp = [s for s in segments if _is_app1(data, s, XMP_HEADER)]
    extended = [s for s in segments if _is_app1(data, s, XMP_EXTENSION_HEADER)]
    if len(xmp) > 1:
        raise MetadataFixError("the file holds two XMP packets; which one counts is ambiguous")
    if extended:
        _refuse_gpano_in_extended_xmp(data, extended)

    patched = bytearray(data)
    if exif is not None:
        _patch_exif_pixel_size(patched, exif, width, height)

    if xmp:
        old = xmp[0]
        payload = data[old.body_start + len(XMP_HEADER) : old.end]
        new_segment = _app1(XMP_HEADER + _updated_packet(payload, width, height))
        return bytes(patched[: old.start]) + new_segment + bytes(patched[old.end :])
    # No XMP: insert one where a THETA puts it, after the Exif segment; else after APP0/SOI.
    if exif is not None:
        at = exif.end
    elif segments and segments[0].marker == 0xE0:
        at = segments[0].end
    else:
        at = 2
    new_segment = _app1(XMP_HEADER + _new_packet(width, height))
    return bytes(patched[:at]) + new_segment + bytes(patched[at:])


def _segments_before_scan(data: bytes) -> list[_Segment]:
    segments = []
    try:
        for marker, body_start, body_length in iter_segments(io.BytesIO(data), len(data)):
            if marker == SOS:
                return segments
            segments.append(_Segment(marker, body_start - 4, body_start + body_length, body_start))
    except JpegStructureError as error:
        raise MetadataFixError(str(error)) from None
    raise MetadataFixError("damaged JPEG: no image data")


def _is_app1(data: bytes, segment: _Segment, header: bytes) -> bool:
    return segment.marker == APP1 and data.startswith(header, segment.body_start)


def _app1(payload: bytes) -> bytes:
    if len(payload) > _APP1_MAX_PAYLOAD:
        raise MetadataFixError("the corrected XMP packet is larger than one JPEG segment holds")
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _refuse_gpano_in_extended_xmp(data: bytes, extended: list[_Segment]) -> None:
    chunks = []
    for segment in extended:
        chunk = data[segment.body_start + len(XMP_EXTENSION_HEADER) : segment.end]
        if len(chunk) >= 40:  # GUID (32) + full length + offset, as the reader expects
            full_length, offset = struct.unpack(">II", chunk[32:40])
            guid = chunk[:32].decode("ascii", "replace")
            chunks.append(XmpChunk(guid, full_length, offset, chunk[40:]))
    if read_xmp(None, chunks).gpano:
        # The main packet would win for inspection, but other viewers may read the stale copy.
        raise MetadataFixError("GPano is stored in Extended XMP; fixing that form is not supported")


# -- EXIF: two values patched in place -------------------------------------------------------


def _patch_exif_pixel_size(buffer: bytearray, exif: _Segment, width: int, height: int) -> None:
    """Overwrite PixelX/YDimension inside the EXIF bytes when they disagree with the pixels.

    Only inline SHORT/LONG values of count 1 are patched (that is how every camera and editor
    writes them): the entry keeps its type and length, so no offset anywhere moves.
    """
    tiff_start = exif.body_start + len(EXIF_HEADER)
    while buffer.startswith(EXIF_HEADER, tiff_start):  # tolerate a repeated header
        tiff_start += len(EXIF_HEADER)
    tiff = bytes(buffer[tiff_start : exif.end])
    entries = _exif_size_entries(tiff)
    if entries is None:
        return
    order = ">" if tiff[:2] == b"MM" else "<"
    for tag, want in ((_PIXEL_X, width), (_PIXEL_Y, height)):
        found = entries.get(tag)
        if found is None:
            continue
        typ, value_at = found
        fmt = order + ("H" if typ == _SHORT else "I")
        current = struct.unpack_from(fmt, tiff, value_at)[0]
        if current == want:
            continue
        if typ == _SHORT and want > 0xFFFF:
            raise MetadataFixError(
                f"EXIF stores the pixel size as a 16-bit value; {want} does not fit"
            )
        struct.pack_into(fmt, buffer, tiff_start + value_at, want)


def _exif_size_entries(tiff: bytes) -> dict[int, tuple[int, int]] | None:
    """{tag: (type, offset of its inline value)} for PixelX/YDimension in the Exif IFD."""
    if tiff[:4] == b"MM\x00*":
        order = ">"
    elif tiff[:4] == b"II*\x00":
        order = "<"
    else:
        return None
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    exif_ifd = None
    for tag, typ, count, value_at in _ifd_entries(tiff, ifd0, order):
        if tag == _EXIF_IFD_POINTER and typ in (_LONG, 13) and count == 1:
            (exif_ifd,) = struct.unpack_from(order + "I", tiff, value_at)
    if exif_ifd is None:
        return None
    found: dict[int, tuple[int, int]] = {}
    for tag, typ, count, value_at in _ifd_entries(tiff, exif_ifd, order):
        if tag in (_PIXEL_X, _PIXEL_Y) and tag not in found:
            if typ not in (_SHORT, _LONG) or count != 1:
                raise MetadataFixError("EXIF stores the pixel size in an unusual form")
            found[tag] = (typ, value_at)
    return found


def _ifd_entries(tiff: bytes, offset: int, order: str) -> Iterator[tuple[int, int, int, int]]:
    """(tag, type, count, offset of the 4-byte value field) of each entry; bounds-checked."""
    if offset < 8 or offset + 2 > len(tiff):
        raise MetadataFixError("EXIF data is damaged: an IFD points outside it")
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    if offset + 2 + 12 * count > len(tiff):
        raise MetadataFixError("EXIF data is damaged: an IFD runs past its end")
    for index in range(count):
        at = offset + 2 + 12 * index
        tag, typ, n = struct.unpack_from(order + "HHI", tiff, at)
        yield tag, typ, n, at + 8


# -- XMP -----------------------------------------------------------------------------------------


def _new_packet(width: int, height: int) -> bytes:
    """A packet laid out as a THETA writes it, GPano as child elements."""
    body = "".join(
        f"\n      <GPano:{name}>{value}</GPano:{name}>"
        for name, value in _target_gpano(width, height).items()
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="thetadesk {__version__}">\n'
        f'  <rdf:RDF xmlns:rdf="{RDF_NS}">\n'
        f'    <rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}">{body}\n'
        "    </rdf:Description>\n"
        "  </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def _updated_packet(payload: bytes, width: int, height: int) -> bytes:
    """The packet with GPano set; the bytes around the root element kept as they were."""
    if payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MetadataFixError("the XMP packet is UTF-16 text; only UTF-8 packets can be fixed")
    try:
        parse_packet(payload)  # the reader's checks: no DOCTYPE/ENTITY, a root, well-formed
    except XmpError as error:
        raise MetadataFixError(f"the XMP metadata cannot be read ({error}); left alone") from None
    start = _ROOT_START.search(payload)
    assert start is not None  # parse_packet found it
    end_tag = b"</" + start.group(1) + b">"
    end = payload.rfind(end_tag) + len(end_tag)
    try:
        document = xml.dom.minidom.parseString(payload[start.start() : end])
    except Exception as error:  # noqa: BLE001 - expat raises several types
        raise MetadataFixError(f"the XMP metadata cannot be read ({error}); left alone") from None
    try:
        _set_gpano(document, _target_gpano(width, height))
        root_xml = document.documentElement.toxml().encode("utf-8")
    finally:
        document.unlink()
    return payload[: start.start()] + root_xml + payload[end:]


def _set_gpano(document: xml.dom.minidom.Document, target: dict[str, str]) -> None:
    """Update every GPano property named in `target` in place; add the missing ones."""
    present: set[str] = set()
    for element in _elements(document.documentElement):
        if element.namespaceURI == GPANO_NS and element.localName in target:
            while element.firstChild is not None:
                element.removeChild(element.firstChild).unlink()
            element.appendChild(document.createTextNode(target[element.localName]))
            present.add(element.localName)
        for attribute in list(element.attributes.values()):
            if attribute.namespaceURI == GPANO_NS and attribute.localName in target:
                attribute.value = target[attribute.localName]
                present.add(attribute.localName)
    missing = [name for name in target if name not in present]
    if not missing:
        return
    rdf = _find_rdf(document.documentElement)
    if rdf is None:
        raise MetadataFixError("the XMP packet has no rdf:RDF element; left alone")
    # One new rdf:Description about the same resource (the "split" form readers accept). Its
    # own xmlns:GPano declaration shadows any other binding of that prefix further out.
    rdf_prefix = rdf.prefix or "rdf"
    description = document.createElementNS(RDF_NS, f"{rdf_prefix}:Description")
    description.setAttributeNS(RDF_NS, f"{rdf_prefix}:about", "")
    description.setAttributeNS(XMLNS_NS, "xmlns:GPano", GPANO_NS)
    for name in missing:
        description.appendChild(document.createTextNode("\n      "))
        prop = document.createElementNS(GPANO_NS, f"GPano:{name}")
        prop.appendChild(document.createTextNode(target[name]))
        description.appendChild(prop)
    description.appendChild(document.createTextNode("\n    "))
    rdf.appendChild(document.createTextNode("  "))
    rdf.appendChild(description)
    rdf.appendChild(document.createTextNode("\n  "))


def _elements(root: xml.dom.minidom.Element) -> Iterator[xml.dom.minidom.Element]:
    yield root
    for child in root.childNodes:
        if child.nodeType == Node.ELEMENT_NODE:
            yield from _elements(child)


def _find_rdf(root: xml.dom.minidom.Element) -> xml.dom.minidom.Element | None:
    for element in _elements(root):
        if element.namespaceURI == RDF_NS and element.localName == "RDF":
            return element
    return None
