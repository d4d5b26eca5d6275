"""GPano properties from a JPEG's XMP (main packet plus Extended XMP), by namespace URI.

Writers disagree on the form: THETA writes GPano as child elements, Exiv2/GIMP as attributes,
others split it over several rdf:Description blocks or bind another prefix to the namespace.
Parsing with namespace-aware ElementTree and matching the URI covers all of them.

No entity is ever expanded: a packet with a DOCTYPE or ENTITY declaration is refused before
it reaches the XML parser (without a DTD, expat has nothing to expand).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from thetadesk.core.jpeg_segments import XmpChunk

GPANO_NS = "http://ns.google.com/photos/1.0/panorama/"
XMP_NOTE_NS = "http://ns.adobe.com/xmp/note/"
_GPANO_PREFIX = "{" + GPANO_NS + "}"
_HAS_EXTENDED = "{" + XMP_NOTE_NS + "}HasExtendedXMP"

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# The root is x:xmpmeta (any prefix), or rdf:RDF in packets from old writers.
_ROOT_START = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?(?:xmpmeta|xapmeta|RDF))[\s>/]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class XmpError(ValueError):
    """The packet cannot be read; str(error) says why."""


@dataclass(frozen=True)
class XmpInfo:
    gpano: dict[str, str]
    problems: tuple[str, ...] = ()


def read_xmp(main: bytes | None, extended: Sequence[XmpChunk] = ()) -> XmpInfo:
    """GPano from the main packet, then from Extended XMP; the first value of a name wins."""
    gpano: dict[str, str] = {}
    problems: list[str] = []
    guid = None
    if main is not None:
        try:
            root = parse_packet(main)
        except XmpError as error:
            problems.append(f"XMP metadata unreadable ({error}); ignored")
        else:
            _collect_gpano(root, gpano)
            if extended:  # the GUID matters only to pick Extended XMP chunks
                guid = _extended_guid(root)
    if extended:
        packet = assemble_extended(extended, guid)
        if packet is None:
            problems.append("Extended XMP incomplete; ignored")
        else:
            try:
                _collect_gpano(parse_packet(packet), gpano)
            except XmpError as error:
                problems.append(f"Extended XMP unreadable ({error}); ignored")
    return XmpInfo(gpano, tuple(problems))


def parse_packet(payload: bytes) -> ET.Element:
    """Parse one packet, tolerating NUL padding, a BOM and garbage around the root element."""
    if payload.startswith(_UTF16_BOMS):
        try:
            payload = payload.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as error:
            raise XmpError("bad UTF-16 text") from error
    if _DECLARATION.search(payload):
        raise XmpError("DOCTYPE/ENTITY declarations are refused, not expanded")
    start = _ROOT_START.search(payload)
    if start is None:
        raise XmpError("no x:xmpmeta element")
    end_tag = b"</" + start.group(1) + b">"
    end = payload.rfind(end_tag)
    if end < start.start():
        raise XmpError("the XMP packet is cut short")
    try:
        return ET.fromstring(payload[start.start() : end + len(end_tag)])
    except ET.ParseError as error:
        raise XmpError(f"bad XML: {error}") from error


def assemble_extended(chunks: Sequence[XmpChunk], guid: str | None) -> bytes | None:
    """Join the chunks of one Extended XMP packet; None if it has gaps or bad offsets."""
    if guid is None:
        # The main packet should name the GUID; without it, accept a single unambiguous one.
        guids = {chunk.guid for chunk in chunks}
        if len(guids) != 1:
            return None
        guid = guids.pop()
    mine = [chunk for chunk in chunks if chunk.guid == guid]
    if not mine:
        return None
    full_length = mine[0].full_length
    if full_length > sum(len(chunk.data) for chunk in mine):
        return None  # missing chunks (also stops a huge claimed length before allocating)
    buffer = bytearray(full_length)
    covered = 0
    for chunk in sorted(mine, key=lambda c: c.offset):
        if chunk.full_length != full_length or chunk.offset != covered:
            return None
        if chunk.offset + len(chunk.data) > full_length:
            return None
        buffer[chunk.offset : chunk.offset + len(chunk.data)] = chunk.data
        covered += len(chunk.data)
    return bytes(buffer) if covered == full_length else None


def _collect_gpano(root: ET.Element, gpano: dict[str, str]) -> None:
    cut = len(_GPANO_PREFIX)
    for element in root.iter():
        if element.attrib:
            for name, value in element.attrib.items():
                if name.startswith(_GPANO_PREFIX):
                    gpano.setdefault(name[cut:], value.strip())
        tag = element.tag
        if isinstance(tag, str) and tag.startswith(_GPANO_PREFIX):
            gpano.setdefault(tag[cut:], "".join(element.itertext()).strip())


def _extended_guid(root: ET.Element) -> str | None:
    for element in root.iter():
        value = element.attrib.get(_HAS_EXTENDED)
        if value is None and element.tag == _HAS_EXTENDED:
            value = element.text
        if value:
            return value.strip()
    return None
