"""GPano properties from a JPEG's XMP (main packet plus Extended XMP), by namespace URI.

Writers disagree on the form: THETA writes GPano as child elements, Exiv2/GIMP as attributes,
others split it over several rdf:Description blocks or bind another prefix to the namespace.
Parsing with namespace-aware ElementTree and matching the URI covers all of them.

No entity is ever expanded: a packet with a DOCTYPE or ENTITY declaration is refused before
it reaches the XML parser (without a DTD, expat has nothing to expand).

Most packets are laid out as a camera writes them: x:xmpmeta, rdf:RDF, then rdf:Description
blocks holding simple properties as child elements or attributes, all in plain ASCII. Such a
packet is read with a few regular expressions that match its whole text (so it is known to
be well-formed XML with every prefix bound) instead of building an element tree; anything
else, down to a comment, an entity reference or one non-ASCII byte, goes to the XML parser.
Both give the same result for every packet (tests/core/test_xmp_fast_path.py).
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Sequence

from thetadesk.core.jpeg_segments import XmpChunk

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~2 ms a start)
if TYPE_CHECKING:  # the XML parser loads when a packet needs it (a few ms at start-up)
    import xml.etree.ElementTree as ET

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


class XmpInfo(namedtuple("XmpInfo", "gpano problems", defaults=((),))):
    """GPano properties by name, and what could not be read (a named tuple: see
    jpeg_segments)."""

    __slots__ = ()
    gpano: dict[str, str]
    problems: tuple[str, ...]


def read_xmp(main: bytes | None, extended: Sequence[XmpChunk] = ()) -> XmpInfo:
    """GPano from the main packet, then from Extended XMP; the first value of a name wins."""
    gpano: dict[str, str] = {}
    problems: list[str] = []
    guid = None
    if main is not None:
        try:
            root_text = _root_text(main)
            fast = None if extended else simple_packet_gpano(root_text)
            if fast is not None:
                gpano = fast
            else:
                root = _parse_root(root_text)
        except XmpError as error:
            problems.append(f"XMP metadata unreadable ({error}); ignored")
        else:
            if fast is None:
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
    return _parse_root(_root_text(payload))


def _root_text(payload: bytes) -> bytes:
    """The packet's root element, from its start tag to its end tag; refuses declarations."""
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
    return payload[start.start() : end + len(end_tag)]


def _parse_root(text: bytes) -> ET.Element:
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(text)
    except ET.ParseError as error:
        raise XmpError(f"bad XML: {error}") from error


# -- the fast path for packets laid out as cameras write them ---------------------------------

_RDF_NS = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_SPACE = rb"[ \t\r\n]"
_NAME = rb"[A-Za-z_][A-Za-z0-9_.\-]*"
# An attribute value or element text in plain ASCII with nothing to decode or normalise: no
# quote, '<' or '&' (a reference), no tab, CR or LF in a value (expat turns them into spaces),
# no CR or ']' in text (CR LF becomes LF; ']]>' is not allowed in text).
_VALUE = rb'"[\x20\x21\x23-\x25\x27-\x3b\x3d-\x7e]*"'
_TEXT = rb"[\t\n\x20-\x25\x27-\x3b\x3d-\x5c\x5e-\x7e]*"
_ATTRIBUTES = rb"(?:" + _XML_SPACE + rb"+" + _NAME + rb"(?::" + _NAME + rb")?=" + _VALUE + rb")*"
_PROPERTY = rb"<(" + _NAME + rb":" + _NAME + rb")>" + _TEXT + rb"</(?P=prop)>"
_DESCRIPTION = (
    rb"<rdf:Description" + _ATTRIBUTES + _XML_SPACE + rb"*(?:/>|>"
    + _XML_SPACE + rb"*(?:" + _PROPERTY.replace(rb"<(", rb"<(?P<prop>", 1) + _XML_SPACE
    + rb"*)*</rdf:Description>)" + _XML_SPACE + rb"*"
)  # fmt: skip
_SIMPLE_PACKET = re.compile(
    rb'<x:xmpmeta xmlns:x="adobe:ns:meta/"(?: (?:x:)?xmptk=' + _VALUE + rb")?" + _XML_SPACE
    + rb"*>" + _XML_SPACE + rb"*<rdf:RDF xmlns:rdf=" + re.escape(b'"' + _RDF_NS + b'"')
    + _XML_SPACE + rb"*>" + _XML_SPACE + rb"*((?:" + _DESCRIPTION + rb")*)</rdf:RDF>"
    + _XML_SPACE + rb"*</x:xmpmeta>"
)  # fmt: skip
_DESCRIPTION_START = re.compile(
    rb"<rdf:Description(" + _ATTRIBUTES + rb")" + _XML_SPACE + rb"*(/?)>" + _XML_SPACE + rb"*"
)
_DESCRIPTION_END = b"</rdf:Description>"
_ATTRIBUTE_PARTS = re.compile(rb"(" + _NAME + rb")(?::(" + _NAME + rb"))?=\"([^\"]*)\"")
_PROPERTY_PARTS = re.compile(rb"<(" + _NAME + rb"):(" + _NAME + rb")>([^<]*)<")
_GPANO_NS_BYTES = GPANO_NS.encode()
_INHERITED = {b"x": b"adobe:ns:meta/", b"rdf": _RDF_NS}
_RESERVED_URIS = (b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2000/xmlns/")


def simple_packet_gpano(root_text: bytes) -> dict[str, str] | None:
    """GPano from a root element laid out as cameras write it (what ElementTree would find
    in it), or None when the layout is anything else and the XML parser must read it."""
    match = _SIMPLE_PACKET.fullmatch(root_text)
    if match is None:
        return None
    gpano: dict[str, str] = {}
    descriptions = match.group(1)
    at = 0
    while at < len(descriptions):
        # The whole text matched: each block starts where the previous one (and the space
        # after it) ended, and its properties' text holds no "<".
        start = _DESCRIPTION_START.match(descriptions, at)
        if start is None:  # not reached: the whole text matched
            return None
        if start.group(2):  # <rdf:Description .../>
            body, at = b"", start.end()
        else:
            end = descriptions.index(_DESCRIPTION_END, start.end())
            body = descriptions[start.end() : end]
            at = end + len(_DESCRIPTION_END)
        while at < len(descriptions) and descriptions[at] in b" \t\r\n":
            at += 1
        prefixes = dict(_INHERITED)
        attributes = []
        declared = set()
        for prefix_or_name, local, value in _ATTRIBUTE_PARTS.findall(start.group(1)):
            if prefix_or_name == b"xmlns" and local:
                # Rebinding x or rdf, an xml* prefix, an empty namespace or a second
                # declaration of a prefix: leave those to the parser.
                if local in declared or local in _INHERITED or local[:3].lower() == b"xml":
                    return None
                if not value or value in _RESERVED_URIS or b"}" in value:
                    return None  # errors for expat; "}" would end ElementTree's {uri}
                declared.add(local)
                prefixes[local] = value
            elif prefix_or_name.startswith(b"xml"):  # xmlns= (default namespace), xml:lang
                return None
            else:
                attributes.append((prefix_or_name, local, value))
        seen = set()
        for prefix_or_name, local, value in attributes:
            if not local:  # an attribute without a prefix has no namespace
                name = (None, prefix_or_name)
            elif prefix_or_name in prefixes:
                name = (prefixes[prefix_or_name], local)
            else:
                return None  # an unbound prefix: the parser reports it
            if name in seen:
                return None  # a duplicate attribute: the parser reports it
            seen.add(name)
            if name[0] == _GPANO_NS_BYTES:
                gpano.setdefault(local.decode(), value.decode().strip())
        if body:
            for prefix, local, text in _PROPERTY_PARTS.findall(body):
                uri = prefixes.get(prefix)
                if uri is None:
                    return None
                if uri == _GPANO_NS_BYTES:
                    gpano.setdefault(local.decode(), text.decode().strip())
    return gpano


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
