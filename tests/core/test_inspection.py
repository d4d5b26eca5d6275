"""Inspection rules on synthetic files, so the suite means something without the real samples."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.theta_fixtures import (
    GPANO_NS,
    build_xmp_packet,
    gpano_properties,
    make_dualfisheye,
    make_flat_photo,
    make_oversized_header,
    make_photo_sphere,
    make_plain_jpeg,
    make_png,
    make_theta_jpeg,
    set_frame_size,
)
from thetadesk.core import inspection
from thetadesk.core.inspection import Inspection, Verdict, inspect_file

STITCH = "stitch it in the THETA app first"


def check(path: Path) -> Inspection:
    """inspect_file plus the invariants every result must satisfy."""
    result = inspect_file(path)
    assert isinstance(result.verdict, Verdict)
    assert result.reasons and all(result.reasons)
    assert "unexpected error" not in " ".join(result.reasons)
    json.dumps(result.to_json())
    return result


# -- the table of theta-metadata.md, reproduced synthetically --------------------------------


def test_theta_v_is_ok(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "R0000001.JPG", model="RICOH THETA V   "))
    assert result.verdict is Verdict.OK
    assert result.camera_code == "V"
    assert result.model == "RICOH THETA V"
    assert result.is_theta
    assert (result.width, result.height) == (64, 32)
    assert (result.exif_width, result.exif_height) == (64, 32)
    assert result.projection == "equirectangular"
    assert result.theta_image_type == 1
    assert result.has_gps
    assert result.date_taken == "2024-05-06"
    assert result.datetime_original == "2024:05:06 07:08:09"
    assert result.has_embedded_thumbnail
    assert result.verdict.uploadable


def test_theta_s_with_63_char_padded_model_is_ok(tmp_path: Path) -> None:
    model = "RICOH THETA S".ljust(63)
    result = check(make_theta_jpeg(tmp_path / "s.jpg", model=model, make="RICOH      "))
    assert (result.verdict, result.camera_code) == (Verdict.OK, "S")
    assert result.make == "RICOH"


def test_resaved_theta_x_with_stale_sizes_is_a_warning_naming_both(tmp_path: Path) -> None:
    path = make_theta_jpeg(
        tmp_path / "room.jpeg",
        model="RICOH THETA X ",
        gpano="attributes",
        gpano_size=(128, 64),
        exif_size=(128, 64),
        image_type=None,
        gps=False,
        progressive=True,
    )
    result = check(path)
    assert (result.verdict, result.camera_code) == (Verdict.WARNING, "X")
    assert result.progressive
    assert result.reasons[0] == "GPano says 128×64 but the image is 64×32"
    assert "EXIF says 128×64 but the image is 64×32" in result.reasons


def test_original_theta_without_gpano_is_a_warning(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "v110.jpg", model="RICOH THETA", gpano=False))
    assert (result.verdict, result.camera_code) == (Verdict.WARNING, "")
    assert result.projection is None
    assert "without GPano" in result.reasons[0]


def test_two_to_one_without_any_metadata_needs_review(tmp_path: Path) -> None:
    result = check(make_plain_jpeg(tmp_path / "dualfisheye.jpg"))
    assert (result.verdict, result.camera_code) == (Verdict.NEEDS_REVIEW, "")
    assert not result.verdict.uploadable
    assert result.model == "" and result.date_taken is None


def test_flat_ricoh_compact_photo_is_rejected(tmp_path: Path) -> None:
    result = check(make_flat_photo(tmp_path / "Ricoh.jpg", width=8, height=8))
    assert (result.verdict, result.camera_code) == (Verdict.REJECTED, "")
    assert result.make == "RICOH" and not result.is_theta
    assert "8×8 is not 2:1" in result.reasons[0]


# -- GPano: forms, prefixes, Extended XMP ---------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"gpano": "elements"},
        {"gpano": "attributes"},
        {"gpano": "split"},
        {"gpano_prefix": "pano"},
        {"gpano": "attributes", "gpano_prefix": "g"},
        {"extended_xmp": True},
        {"xmp_first": True},
    ],
    ids=repr,
)
def test_gpano_is_found_by_namespace_in_every_form(tmp_path: Path, options: dict) -> None:
    # image_type=None: only the GPano can prove this is a 360 photo.
    result = check(make_theta_jpeg(tmp_path / "p.jpg", image_type=None, **options))
    assert result.verdict is Verdict.OK, result.reasons
    assert dict(result.gpano) == gpano_properties(64, 32)
    assert result.projection == "equirectangular"


def test_gpano_prefix_bound_to_another_namespace_is_not_gpano(tmp_path: Path) -> None:
    body = "".join(f"<GPano:{k}>{v}</GPano:{k}>" for k, v in gpano_properties(64, 32).items())
    extra = (
        '<rdf:Description rdf:about="" xmlns:GPano="http://example.com/not-gpano/">'
        f"{body}</rdf:Description>"
    )
    path = make_theta_jpeg(tmp_path / "p.jpg", image_type=None, gpano=False, xmp_extra=extra)
    result = check(path)
    assert result.gpano == {}
    assert result.verdict is Verdict.NEEDS_REVIEW


def test_gpano_main_packet_wins_over_extended_xmp_for_the_same_name(tmp_path: Path) -> None:
    packet = build_xmp_packet({"ProjectionType": "equirectangular"})
    path = make_theta_jpeg(tmp_path / "p.jpg", xmp_packet=packet)
    assert check(path).gpano == {"ProjectionType": "equirectangular"}


@pytest.mark.parametrize(
    ("wrap", "what"),
    [
        (lambda p: p + b"\x00" * 2000, "NUL padding"),
        (lambda p: b"\xef\xbb\xbf" + p, "UTF-8 byte-order mark"),
        (lambda p: p + b"\xff\xfe garbage <not xml", "trailing garbage"),
        (lambda p: p.decode().encode("utf-16"), "UTF-16 with BOM"),
    ],
)
def test_xmp_packet_survives_padding_and_garbage(tmp_path: Path, wrap, what: str) -> None:
    packet = wrap(build_xmp_packet(gpano_properties(64, 32)))
    result = check(make_theta_jpeg(tmp_path / "p.jpg", image_type=None, xmp_packet=packet))
    assert result.projection == "equirectangular", what
    assert result.verdict is Verdict.OK


def test_use_panorama_viewer_false_is_said(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "p.jpg", gpano_props={"UsePanoramaViewer": "False"})
    result = check(path)
    assert result.verdict is Verdict.OK
    assert "GPano UsePanoramaViewer is False" in result.reasons


def test_undeclared_prefix_makes_xmp_unreadable_not_fatal(tmp_path: Path) -> None:
    packet = build_xmp_packet({}, extra='<rdf:Description rdf:about="" nope:Thing="1"/>')
    result = check(make_theta_jpeg(tmp_path / "p.jpg", gpano=False, xmp_packet=packet))
    assert result.verdict is Verdict.WARNING  # THETA MakerNote says equirectangular
    assert any(r.startswith("XMP metadata unreadable") for r in result.reasons)


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE x:xmpmeta [
 <!ENTITY a "equirectangular">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GPano="%s" GPano:ProjectionType="&d;"/>
</rdf:RDF></x:xmpmeta>"""

EXTERNAL_ENTITY = b"""<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GPano="%s"><GPano:ProjectionType>&xxe;</GPano:ProjectionType>
</rdf:Description></rdf:RDF></x:xmpmeta>"""


@pytest.mark.parametrize("packet", [ENTITY_BOMB, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_xmp_entities_are_refused_never_expanded(tmp_path: Path, packet: bytes) -> None:
    packet = packet.replace(b"%s", GPANO_NS.encode())
    path = make_theta_jpeg(tmp_path / "p.jpg", image_type=None, gpano=False, xmp_packet=packet)
    result = check(path)
    assert result.gpano == {} and result.projection is None
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert any("DOCTYPE" in r for r in result.reasons)


# -- THETA MakerNote and camera codes --------------------------------------------------------


@pytest.mark.parametrize(("image_type", "kind"), [(2, "dual"), (3, "dual"), (4, "single")])
def test_fisheye_image_types_are_rejected(tmp_path: Path, image_type: int, kind: str) -> None:
    result = check(make_dualfisheye(tmp_path / "f.jpg", image_type=image_type))
    assert result.verdict is Verdict.REJECTED
    assert result.theta_image_type == image_type
    assert result.reasons[0] == f"{kind}-fisheye image: {STITCH}"


def test_fisheye_type_wins_over_stale_gpano(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "f.jpg", image_type=2, gpano=True))
    assert result.verdict is Verdict.REJECTED and STITCH in result.reasons[0]


@pytest.mark.parametrize(
    ("model", "serial", "code"),
    [
        ("RICOH THETA SC2", "20100001", "SC2"),
        ("RICOH THETA SC2", "40100001", "SC2B"),
        ("RICOH THETA SC2", "0000000040100001", "SC2B"),
        ("RICOH THETA SC2", "0000000000100001", "SC2"),
        ("RICOH THETA V", "40100001", "V"),
        ("RICOH THETA Z1", None, "Z1"),
        ("RICOH THETA X", None, "X"),
        ("RICOH THETA SC", None, ""),
        ("RICOH THETA m15", None, ""),
        ("RICOH360 THETA A1", None, ""),
    ],
)
def test_camera_codes(tmp_path: Path, model: str, serial: str | None, code: str) -> None:
    result = check(make_theta_jpeg(tmp_path / "c.jpg", model=model, serial=serial))
    assert result.camera_code == code
    assert result.is_theta
    assert result.verdict is Verdict.OK


def test_theta_subifd_offset_out_of_range_is_ignored_with_a_note(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "m.jpg", theta_offset=0x7FFFFFF0))
    assert result.theta_image_type is None
    assert result.verdict is Verdict.OK  # the GPano still proves it
    assert any("THETA MakerNote" in r for r in result.reasons)


def test_another_camera_photo_sphere_is_ok_with_a_note(tmp_path: Path) -> None:
    result = check(make_photo_sphere(tmp_path / "gopro.jpg"))
    assert (result.verdict, result.camera_code) == (Verdict.OK, "")
    assert not result.is_theta
    assert "not from a RICOH THETA" in result.reasons[0]


def test_theta_model_without_proof_needs_review(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "x.jpg", gpano=False, image_type=None)
    assert check(path).verdict is Verdict.NEEDS_REVIEW


# -- other rules --------------------------------------------------------------------------------


def test_cylindrical_projection_is_rejected(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "c.jpg", projection="cylindrical"))
    assert result.verdict is Verdict.REJECTED
    assert result.projection == "cylindrical"
    assert "cylindrical" in result.reasons[0]


def test_orientation_other_than_1_on_a_panorama_is_a_warning(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "o.jpg", orientation=6))
    assert result.verdict is Verdict.WARNING
    assert result.orientation == 6
    assert "Orientation is 6" in result.reasons[0]


def test_not_two_to_one_is_rejected_even_with_gpano(tmp_path: Path) -> None:
    result = check(make_theta_jpeg(tmp_path / "w.jpg", width=64, height=33))
    assert result.verdict is Verdict.REJECTED
    assert "64×33 is not 2:1" in result.reasons[0]


def test_missing_date_and_placeholder_date(tmp_path: Path) -> None:
    assert check(make_theta_jpeg(tmp_path / "a.jpg", datetime=None)).date_taken is None
    result = check(make_theta_jpeg(tmp_path / "b.jpg", datetime="0000:00:00 00:00:00"))
    assert result.date_taken is None
    assert result.datetime_original == "0000:00:00 00:00:00"


# -- not a JPEG, unreadable, truncated ---------------------------------------------------------


def test_png_named_jpg_is_rejected_and_named(tmp_path: Path) -> None:
    result = check(make_png(tmp_path / "R0000009.JPG"))
    assert result.verdict is Verdict.REJECTED
    assert result.reasons[0] == "not a JPEG: this is a PNG image"


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"II*\x00\x08\x00\x00\x00", "a TIFF image"),
        (b"MM\x00*\x00\x00\x00\x08", "a TIFF image"),
        (b"II*\x00\xff\xff\xff\x00", "TIFF or DNG"),  # IFD0 out of reach: cannot tell
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X", "AppleDouble"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Thumbs.db"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", "MP4 video"),
        (b"hello, world", "not an image format"),
    ],
)
def test_other_formats_are_named(tmp_path: Path, head: bytes, named: str) -> None:
    path = tmp_path / "R0000010.JPG"
    path.write_bytes(head + bytes(200))
    result = check(path)
    assert result.verdict is Verdict.REJECTED
    assert result.reasons[0].startswith("not a JPEG") and named in result.reasons[0]


def test_zero_byte_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.JPG"
    path.touch()
    result = check(path)
    assert result.verdict is Verdict.REJECTED
    assert result.reasons == ("empty file (zero bytes)",)
    assert result.size_bytes == 0


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    result = check(tmp_path / "gone.JPG")
    assert (result.verdict, result.reasons) == (Verdict.REJECTED, ("file not found",))


def test_folder_is_rejected(tmp_path: Path) -> None:
    assert check(tmp_path).verdict is Verdict.REJECTED


def test_unreadable_file_is_rejected(tmp_path: Path, monkeypatch) -> None:
    path = make_theta_jpeg(tmp_path / "locked.jpg")

    def refuse(*args, **kwargs):  # as open() does without read permission (chmod is moot as root)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inspection, "open", refuse, raising=False)
    result = check(path)
    assert result.verdict is Verdict.REJECTED
    assert result.reasons == ("cannot read the file: Permission denied",)


@pytest.mark.parametrize(
    ("cut", "what"),
    [
        (lambda data: data[:-2], "end marker missing"),
        (lambda data: data[: len(data) - 300], "cut mid-scan"),
        (lambda data: data[:300], "cut inside the header"),
        (lambda data: data[:3], "cut after SOI"),
    ],
)
def test_truncated_files_are_rejected(tmp_path: Path, cut, what: str) -> None:
    path = tmp_path / "cut.jpg"
    path.write_bytes(cut(make_theta_jpeg(tmp_path / "whole.jpg").read_bytes()))
    result = check(path)
    assert result.verdict is Verdict.REJECTED, what
    assert "truncated" in result.reasons[0], (what, result.reasons)


def test_nul_padding_after_the_end_marker_is_accepted(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "padded.jpg")
    path.write_bytes(path.read_bytes() + bytes(512))
    assert check(path).verdict is Verdict.OK


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux file system")
def test_json_of_a_name_that_is_not_utf8_is_valid_utf8(tmp_path: Path) -> None:
    scratch = make_theta_jpeg(tmp_path / "scratch.jpg")
    raw = os.fsencode(tmp_path) + b"/caf\xe9 \xff.JPG"
    os.rename(os.fsencode(scratch), raw)
    data = check(Path(os.fsdecode(raw))).to_json()
    text = json.dumps(data, ensure_ascii=False)
    text.encode("utf-8")  # lone surrogates (os.fsdecode's) would raise here
    assert data["path"] == os.fsdecode(tmp_path) + "/caf\\xe9 \\xff.JPG"


# -- pixel cap: refused from the header, before any decoding ---------------------------------


def test_huge_header_is_refused_without_decoding(tmp_path: Path, monkeypatch) -> None:
    path = make_oversized_header(tmp_path / "huge.jpg", 30000, 15000)

    def no_decoding(*args, **kwargs):
        raise AssertionError("inspection must not decode the image")

    monkeypatch.setattr(Image, "open", no_decoding)
    result = check(path)
    assert result.verdict is Verdict.REJECTED
    assert result.reasons[0].startswith("pixel count over the cap")
    assert "30000×15000" in result.reasons[0]


def test_largest_theta_size_is_accepted(tmp_path: Path) -> None:
    size = (11008, 5504)
    path = make_theta_jpeg(
        tmp_path / "x.jpg", model="RICOH THETA X", gpano_size=size, exif_size=size
    )
    path.write_bytes(set_frame_size(path.read_bytes(), 11008, 5504))
    result = check(path)
    assert (result.verdict, result.camera_code) == (Verdict.OK, "X")
    assert (result.width, result.height) == (11008, 5504)


# -- read-only, and reading only the header and the tail --------------------------------------


def test_inspection_does_not_modify_the_file(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "ro.jpg")
    path.chmod(0o444)
    digest, mtime = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    assert check(path).verdict is Verdict.OK
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert path.stat().st_mtime_ns == mtime


def test_inspection_reads_the_header_and_tail_only(tmp_path: Path, monkeypatch) -> None:
    data = make_theta_jpeg(tmp_path / "small.jpg").read_bytes()
    sos = data.rindex(b"\xff\xda")  # the main image's (the EXIF thumbnail has one too)
    (sos_length,) = struct.unpack(">H", data[sos + 2 : sos + 4])
    scan_start = sos + 2 + sos_length
    big = tmp_path / "big.jpg"  # 8 MB of (fake) scan data: never decoded, never read
    big.write_bytes(data[:scan_start] + bytes(8 << 20) + data[scan_start:])
    read = 0
    real_open = open

    class Counting:
        def __init__(self, stream):
            self.stream = stream

        def read(self, n=-1):
            nonlocal read
            chunk = self.stream.read(n)
            read += len(chunk)
            return chunk

        def __getattr__(self, name):
            return getattr(self.stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

    def counting_open(file, mode="r", *args, **kwargs):
        assert mode == "rb", "inspection opens files read-only"
        return Counting(real_open(file, mode, *args, **kwargs))

    monkeypatch.setattr(inspection, "open", counting_open, raising=False)
    result = check(big)
    assert result.verdict is Verdict.OK, result.reasons
    assert 0 < read < 64 * 1024, f"read {read} bytes of an 8 MB file"


@pytest.mark.parametrize("value", ["inf", "1e999", "-Infinity", "nan", "9" * 400, "abc"])
def test_a_gpano_size_that_is_no_number_is_a_metadata_warning(tmp_path: Path, value) -> None:
    """Not an "unexpected error" (which rejects the photo and logs a traceback)."""
    path = make_theta_jpeg(tmp_path / "R0010001.JPG", gpano_props={"FullPanoWidthPixels": value})
    inspection = inspect_file(path)
    assert inspection.verdict is not Verdict.REJECTED
    assert not any("unexpected error" in reason for reason in inspection.reasons)
