"""The XMP fast path (regular expressions over a camera-style packet) against the XML parser.

read_xmp reads a packet laid out as cameras write it without building an element tree, and
hands everything else to ElementTree. Whatever the packet, both must find the same GPano
properties in the same order, and a packet the parser refuses must never get past the fast
path: these tests run both on every XMP packet of the broken-file corpus, the real samples,
hand-made traps and a seeded batch of mutations.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from tests.core.samples import SAMPLES
from tests.support.broken_corpus import file_cases, write_case
from tests.support.theta_fixtures import GPANO_NS, build_xmp_packet, gpano_properties
from thetadesk.core import xmp
from thetadesk.core.jpeg_segments import JpegStructureError, read_header


def parser_result(payload: bytes) -> dict[str, str] | None:
    """What the XML parser finds in the packet's root (None: it refuses the packet)."""
    try:
        root = xmp.parse_packet(payload)
    except xmp.XmpError:
        return None
    gpano: dict[str, str] = {}
    xmp._collect_gpano(root, gpano)
    return gpano


def fast_result(payload: bytes) -> dict[str, str] | None:
    """What the fast path finds, or None when it leaves the packet to the parser."""
    try:
        return xmp.simple_packet_gpano(xmp._root_text(payload))
    except xmp.XmpError:
        return None


def assert_agree(payload: bytes) -> bool:
    """The fast path, when it answers, says what the parser says (order included); and
    read_xmp gives the parser's result either way. True when the fast path answered."""
    fast = fast_result(payload)
    full = parser_result(payload)
    if fast is not None:
        assert full is not None, f"the fast path read a packet the parser refuses: {payload!r}"
        assert list(fast.items()) == list(full.items()), payload
    info = xmp.read_xmp(payload)
    assert list(info.gpano.items()) == list((full or {}).items()), payload
    assert bool(info.problems) == (full is None), payload
    return fast is not None


def _packets_of(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
        header = read_header(io.BytesIO(data), len(data))
    except (OSError, JpegStructureError):
        return []
    return [header.xmp] if header.xmp is not None else []


@pytest.fixture(scope="module")
def corpus_packets(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("corpus")
    packets = []
    for case in file_cases():
        if case.skip or case.unreadable:
            continue
        packets += _packets_of(write_case(folder, case))
    assert len(packets) > 20
    return packets


def test_fast_path_agrees_with_the_parser_on_the_broken_corpus(corpus_packets) -> None:
    answered = [assert_agree(packet) for packet in corpus_packets]
    assert sum(answered) > len(answered) // 2  # most of them take the fast path


@pytest.mark.parametrize("name", ["R0014760.JPG", "R0010290.JPG", "room_5_5k.jpeg"])
def test_fast_path_agrees_with_the_parser_on_the_real_samples(name: str) -> None:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"real camera sample {name} not found in {SAMPLES}")
    (packet,) = _packets_of(path)
    answered = assert_agree(packet)
    # THETA writes the simple layout; GIMP's packet (room_5_5k) goes to the parser.
    assert answered == name.startswith("R00")


@pytest.mark.parametrize("form", ["elements", "attributes", "split"])
@pytest.mark.parametrize("prefix", ["GPano", "gp", "a.b-c_d"])
def test_every_gpano_form_and_prefix_takes_the_fast_path(form: str, prefix: str) -> None:
    packet = build_xmp_packet(gpano_properties(64, 32), form=form, prefix=prefix)  # type: ignore[arg-type]
    assert assert_agree(packet)
    assert xmp.read_xmp(packet).gpano["FullPanoWidthPixels"] == "64"


GP = f'xmlns:GPano="{GPANO_NS}"'
TRAPS = {
    "undeclared prefix attribute": '<rdf:Description rdf:about="" nope:Thing="1"/>',
    "undeclared prefix element": (
        '<rdf:Description rdf:about=""><nope:T>1</nope:T></rdf:Description>'
    ),
    "duplicate attribute": f'<rdf:Description rdf:about="" {GP} GPano:A="1" GPano:A="2"/>',
    "duplicate through two prefixes": (
        f'<rdf:Description rdf:about="" {GP} xmlns:g="{GPANO_NS}" GPano:A="1" g:A="2"/>'
    ),
    "duplicate declaration": f'<rdf:Description rdf:about="" {GP} {GP} GPano:A="1"/>',
    "empty namespace": '<rdf:Description rdf:about="" xmlns:GPano="" GPano:A="1"/>',
    "reserved namespace": (
        '<rdf:Description rdf:about="" xmlns:q="http://www.w3.org/XML/1998/namespace" q:A="1"/>'
    ),
    "brace in namespace": (f'<rdf:Description rdf:about="" xmlns:g="{GPANO_NS}}}X" g:A="1"/>'),
    "rdf rebound": (f'<rdf:Description rdf:about="" xmlns:rdf="urn:other" {GP} GPano:A="1"/>'),
    "default namespace": f'<rdf:Description rdf:about="" xmlns="{GPANO_NS}" {GP} GPano:A="1"/>',
    "xml:lang": f'<rdf:Description rdf:about="" xml:lang="en" {GP} GPano:A="1"/>',
    "entity reference in text": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>a&amp;b</GPano:A></rdf:Description>'
    ),
    "character reference": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>&#65;</GPano:A></rdf:Description>'
    ),
    "CR LF in text": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>a\r\nb</GPano:A></rdf:Description>'
    ),
    "tab in an attribute": f'<rdf:Description rdf:about="" {GP} GPano:A="a\tb"/>',
    "non-ASCII text": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>caf\u00e9</GPano:A></rdf:Description>'
    ),
    "comment": (
        f'<rdf:Description rdf:about="" {GP}><!-- x --><GPano:A>1</GPano:A></rdf:Description>'
    ),
    "]]> in text": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>a]]>b</GPano:A></rdf:Description>'
    ),
    "nested structure": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A><rdf:Seq><rdf:li>1</rdf:li></rdf:Seq>'
        "</GPano:A></rdf:Description>"
    ),
    "mismatched end tag": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A>1</GPano:B></rdf:Description>'
    ),
    "spaces around values": (
        f'<rdf:Description rdf:about="" {GP} GPano:B="  2 "><GPano:A>\n 1 \t</GPano:A>'
        "</rdf:Description>"
    ),
    "empty and repeated properties": (
        f'<rdf:Description rdf:about="" {GP}><GPano:A></GPano:A><GPano:A>2</GPano:A>'
        f'</rdf:Description><rdf:Description rdf:about="" {GP} GPano:A="3" GPano:C="4"/>'
    ),
}


@pytest.mark.parametrize("extra", TRAPS.values(), ids=TRAPS.keys())
def test_traps_agree_with_the_parser(extra: str) -> None:
    assert_agree(build_xmp_packet({}, extra=extra))


def test_entities_are_never_read_by_either_path() -> None:
    packet = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "equirectangular">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'rdf:about="" xmlns:GPano="' + GPANO_NS.encode() + b'"><GPano:ProjectionType>'
        b"&e;</GPano:ProjectionType></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = xmp.read_xmp(packet)
    assert info.gpano == {} and "DOCTYPE/ENTITY" in info.problems[0]


_TOKENS = [
    f' xmlns:A="{GPANO_NS}"'.encode(),
    b' A:ProjectionType="cylindrical"',
    b"<A:Foo>v</A:Foo>",
    b"<GPano:Foo> w </GPano:Foo>",
    b' xmlns:GPano="urn:x"',
    b' GPano:Bar="1"',
    b' xmlns:rdf="urn:r"',
    b' xmlns=""',
    b' xml:lang="en"',
    b"&lt;",
    b"]]>",
    b"\r\n",
    b"\t",
    b"\xc3\xa9",
    b"\xef\xbf\xbf",
    b"\x01",
    b"<!-- c -->",
    b'<rdf:Description rdf:about=""/>',
    b"</rdf:Description>",
    b"<nope:T>1</nope:T>",
    b"<GPano:E/>",
    b"'",
    b'"',
    b"<",
    b">",
    b"/",
    b":",
    b" ",
]


def test_seeded_mutations_agree_with_the_parser(corpus_packets) -> None:
    seeds = corpus_packets + [
        build_xmp_packet(gpano_properties(64, 32), form=form)  # type: ignore[arg-type]
        for form in ("elements", "attributes", "split")
    ]
    rng = random.Random(20261203)
    answered = 0
    for _ in range(3000):
        packet = bytearray(rng.choice(seeds))
        for _ in range(rng.choice((1, 1, 2, 3))):
            at = rng.randrange(len(packet) + 1)
            roll = rng.random()
            if roll < 0.55:
                packet[at:at] = rng.choice(_TOKENS)
            elif roll < 0.75 and packet:
                packet[min(at, len(packet) - 1)] = rng.randrange(256)
            else:
                del packet[at : at + rng.randrange(1, 12)]
        answered += assert_agree(bytes(packet))
    assert answered > 100  # the mutations reach the fast path, not only the parser
