"""Fix metadata into a copy: the copy inspects as `ok`, and nothing but GPano (and, when they
were wrong, the two EXIF pixel-size values) differs from the original, byte for byte."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from pathlib import Path

import piexif
import pytest
from PIL import Image

from tests.core.samples import sample
from tests.support.theta_fixtures import (
    GPANO_NS,
    XMP_EXTENSION_HEADER,
    XMP_HEADER,
    build_exif,
    build_xmp_packet,
    gpano_properties,
    make_dualfisheye,
    make_photo_sphere,
    make_plain_jpeg,
    make_theta_jpeg,
    thumbnail_bytes,
)
from thetadesk.core import metadata_fix
from thetadesk.core.inspection import Verdict, inspect_file
from thetadesk.core.metadata_fix import MetadataFixError, fix_into_copy, why_not_fixable
from thetadesk.core.xmp import parse_packet

TARGET_64 = {
    "ProjectionType": "equirectangular",
    "UsePanoramaViewer": "True",
    "CroppedAreaImageWidthPixels": "64",
    "CroppedAreaImageHeightPixels": "32",
    "FullPanoWidthPixels": "64",
    "FullPanoHeightPixels": "32",
    "CroppedAreaLeftPixels": "0",
    "CroppedAreaTopPixels": "0",
}
DC_TITLE = (
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Caf\u00e9 &amp; garden</rdf:li>'
    "</rdf:Alt></dc:title></rdf:Description>"
)


# -- helpers: an independent segment walker, so the test does not grade the code with itself ----


def segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """([(marker, whole segment bytes)...] before SOS, bytes from SOS to the end)."""
    assert data[:2] == b"\xff\xd8"
    at, found = 2, []
    while True:
        assert data[at] == 0xFF
        marker = data[at + 1]
        if marker == 0xDA:
            return found, data[at:]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        found.append((marker, data[at : at + 2 + length]))
        at += 2 + length


def is_main_xmp(segment: tuple[int, bytes]) -> bool:
    return segment[0] == 0xE1 and segment[1][4:].startswith(XMP_HEADER)


def xmp_payload(data: bytes) -> bytes:
    (xmp,) = [s for s in segments(data)[0] if is_main_xmp(s)]
    return xmp[1][4 + len(XMP_HEADER) :]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fix_and_check(src: Path, dest: Path) -> Path:
    """Fix `src` into `dest` and check what every fix must satisfy; return the copy."""
    digest, before = sha256(src), os.stat(src)
    copy = fix_into_copy(src, dest)
    after = os.stat(src)
    assert sha256(src) == digest, "the original was modified"
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert copy.parent == dest and copy != src

    result = inspect_file(copy)
    assert result.verdict is Verdict.OK, result.reasons
    assert {k: result.gpano[k] for k in TARGET_64} == {
        **TARGET_64,
        **{k: str(result.width) for k in TARGET_64 if "Width" in k},
        **{k: str(result.height) for k in TARGET_64 if "Height" in k},
    }
    original_segments, original_scan = segments(src.read_bytes())
    copy_segments, copy_scan = segments(copy.read_bytes())
    assert copy_scan == original_scan, "the image data changed"
    return copy


def non_xmp(data: bytes) -> list[tuple[int, bytes]]:
    return [s for s in segments(data)[0] if not is_main_xmp(s)]


def decode(path: Path, reduce: int = 1) -> bytes:
    with Image.open(path) as image:
        if reduce > 1:
            image.draft("RGB", (image.width // reduce, image.height // reduce))
        return image.convert("RGB").tobytes()


# -- synthetic files -------------------------------------------------------------------------------


def test_missing_gpano_gets_a_theta_style_packet(tmp_path: Path) -> None:
    src = make_theta_jpeg(tmp_path / "R0010001.JPG", model="RICOH THETA", gpano=False)
    assert inspect_file(src).verdict is Verdict.WARNING
    out = tmp_path / "out"
    out.mkdir()

    copy = fix_and_check(src, out)

    assert copy.name == "R0010001_fixed.jpg"
    assert non_xmp(copy.read_bytes()) == non_xmp(src.read_bytes())
    # Inserted right after the Exif segment, as a THETA lays it out.
    markers = segments(copy.read_bytes())[0]
    assert markers[0][1][4:10] == b"Exif\x00\x00"
    assert is_main_xmp(markers[1])
    assert decode(copy) == decode(src)


def test_gpano_sizes_fixed_other_xmp_and_pose_kept(tmp_path: Path) -> None:
    src = make_theta_jpeg(
        tmp_path / "R0010002.JPG",
        gpano_size=(128, 64),
        gpano_props={
            "PosePitchDegrees": "1.9",
            "PoseRollDegrees": "-4.1",
            "PoseHeadingDegrees": "7",
        },
        xmp_extra=DC_TITLE,
    )
    assert inspect_file(src).verdict is Verdict.WARNING

    copy = fix_and_check(src, tmp_path)

    result = inspect_file(copy)
    assert result.gpano["PosePitchDegrees"] == "1.9"
    assert result.gpano["PoseRollDegrees"] == "-4.1"
    assert result.gpano["PoseHeadingDegrees"] == "7"
    root = parse_packet(xmp_payload(copy.read_bytes()))
    titles = root.iter("{http://purl.org/dc/elements/1.1/}title")
    assert ["".join(title.itertext()) for title in titles] == ["Caf\u00e9 & garden"]
    # Each property updated where it was: no duplicate GPano elements were added.
    names = [e.tag for e in root.iter() if str(e.tag).startswith("{" + GPANO_NS)]
    assert len(names) == len(set(names)) == 11
    assert non_xmp(copy.read_bytes()) == non_xmp(src.read_bytes())
    # The xpacket wrapper around the root element is kept.
    payload = xmp_payload(copy.read_bytes())
    assert payload.startswith(b"<?xpacket begin=") and payload.endswith(b'<?xpacket end="w"?>')
    assert decode(copy) == decode(src)


@pytest.mark.parametrize("form", ["attributes", "split"])
def test_other_gpano_forms_are_updated_in_place(tmp_path: Path, form: str) -> None:
    src = make_theta_jpeg(
        tmp_path / "edited.jpg", gpano=form, gpano_prefix="pano", gpano_size=(64, 30)
    )
    copy = fix_and_check(src, tmp_path)
    payload = xmp_payload(copy.read_bytes())
    assert b"pano:FullPanoHeightPixels" in payload  # the file's own prefix, not ours
    assert b"GPano:" not in payload
    if form == "attributes":
        assert b'pano:FullPanoHeightPixels="32"' in payload


def test_partial_gpano_missing_properties_added_once(tmp_path: Path) -> None:
    props = {"ProjectionType": "equirectangular", "UsePanoramaViewer": "False"}
    packet = build_xmp_packet(props, extra=DC_TITLE)
    src = make_theta_jpeg(tmp_path / "partial.jpg", xmp_packet=packet)
    assert inspect_file(src).verdict is Verdict.OK  # no sizes declared: nothing disagrees...
    assert why_not_fixable(inspect_file(src)) == ("the metadata is already correct: nothing to fix")
    # ...so make the EXIF size wrong too, to have something the verdict complains about.
    src = make_theta_jpeg(tmp_path / "partial2.jpg", xmp_packet=packet, exif_size=(128, 64))
    copy = fix_and_check(src, tmp_path)
    root = parse_packet(xmp_payload(copy.read_bytes()))
    names = [e.tag for e in root.iter() if str(e.tag).startswith("{" + GPANO_NS)]
    assert sorted(names) == sorted("{" + GPANO_NS + "}" + name for name in TARGET_64)
    assert inspect_file(copy).gpano["UsePanoramaViewer"] == "True"


def test_wrong_exif_size_patched_in_place_and_only_there(tmp_path: Path) -> None:
    src = make_theta_jpeg(tmp_path / "R0010003.JPG", gpano_size=(128, 64), exif_size=(128, 64))
    result = inspect_file(src)
    assert (result.exif_width, result.exif_height) == (128, 64)

    copy = fix_and_check(src, tmp_path)

    # Precisely: the copy's Exif segment is the one a camera would have written for 64×32,
    # built independently by the fixture with the same layout.
    expected_exif = build_exif(
        model="RICOH THETA V",
        software="RICOH THETA V Ver 1.00",
        pixel_size=(64, 32),
        thumbnail=thumbnail_bytes(seed=0),
    )
    (exif_segment,) = [s for s in non_xmp(copy.read_bytes()) if s[1][4:10] == b"Exif\x00\x00"]
    assert exif_segment[1][4:] == expected_exif
    original_exif = [s for s in non_xmp(src.read_bytes()) if s[1][4:10] == b"Exif\x00\x00"][0]
    changed = [
        i for i, (a, b) in enumerate(zip(original_exif[1], exif_segment[1], strict=True)) if a != b
    ]
    assert 1 <= len(changed) <= 4  # two big-endian LONGs: 128→64 and 64→32, low bytes only
    # Everything but the Exif and XMP segments is identical.
    others = [s for s in non_xmp(copy.read_bytes()) if s != exif_segment]
    assert others == [s for s in non_xmp(src.read_bytes()) if s != original_exif]
    fixed = inspect_file(copy)
    assert fixed.theta_image_type == 1, "the MakerNote must still be readable"
    assert fixed.has_gps and fixed.has_embedded_thumbnail
    assert decode(copy) == decode(src)


def test_copies_are_numbered_never_overwritten(tmp_path: Path) -> None:
    src = make_theta_jpeg(tmp_path / "R0010004.JPG", model="RICOH THETA", gpano=False)
    out = tmp_path / "out"
    out.mkdir()
    squatter = out / "R0010004_fixed.jpg"
    squatter.write_bytes(b"someone else's file")

    first = fix_into_copy(src, out)
    second = fix_into_copy(src, out)

    assert squatter.read_bytes() == b"someone else's file"
    assert (first.name, second.name) == ("R0010004_fixed_2.jpg", "R0010004_fixed_3.jpg")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: make_theta_jpeg(d / "ok.jpg"), "already correct"),
        (lambda d: make_dualfisheye(d / "dual.jpg"), "cannot be fixed"),
        (lambda d: make_plain_jpeg(d / "plain.jpg"), "only RICOH THETA photos"),
        (
            lambda d: make_photo_sphere(d / "gopro.jpg", gpano_size=(128, 64)),
            "only RICOH THETA photos",
        ),
        (
            lambda d: make_theta_jpeg(d / "rotated.jpg", gpano=False, orientation=6),
            "Orientation is 6",
        ),
        (
            lambda d: make_theta_jpeg(
                d / "broken.jpg",
                xmp_packet=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>',
            ),
            "cannot be read",
        ),
        (
            lambda d: make_theta_jpeg(
                d / "doctype.jpg",
                xmp_packet=b'<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
            ),
            "cannot be read",
        ),
        (
            lambda d: make_theta_jpeg(d / "ext.jpg", extended_xmp=True, gpano_size=(128, 64)),
            "Extended XMP",
        ),
    ],
)
def test_refusals_say_why_and_write_nothing(tmp_path: Path, make, expected: str) -> None:
    src = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    digest = sha256(src)

    with pytest.raises(MetadataFixError, match=expected):
        fix_into_copy(src, out)

    assert list(out.iterdir()) == []
    assert sha256(src) == digest


def test_unreadable_packet_is_left_alone_not_replaced(tmp_path: Path) -> None:
    # The reader says "no GPano" for a packet it cannot parse: the verdict is a warning, but
    # replacing the packet would throw away whatever else it held.
    src = make_theta_jpeg(
        tmp_path / "broken.jpg",
        xmp_packet=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>',
    )
    result = inspect_file(src)
    assert result.verdict is Verdict.WARNING
    assert why_not_fixable(result) is None  # eligible on paper; refused when parsing
    with pytest.raises(MetadataFixError, match="left alone"):
        fix_into_copy(src, tmp_path)


def test_missing_destination_folder(tmp_path: Path) -> None:
    src = make_theta_jpeg(tmp_path / "R0010005.JPG", gpano=False)
    with pytest.raises(MetadataFixError, match="does not exist"):
        fix_into_copy(src, tmp_path / "nowhere")


def test_a_copy_that_would_not_be_ok_is_deleted(tmp_path: Path, monkeypatch) -> None:
    # The safety net: whatever went wrong, a copy that does not inspect as `ok` is not left.
    src = make_theta_jpeg(tmp_path / "R0010006.JPG", gpano=False)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(metadata_fix, "corrected_bytes", lambda data, w, h: data)

    with pytest.raises(MetadataFixError, match="would still be `warning`"):
        fix_into_copy(src, out)
    assert list(out.iterdir()) == []


def test_corrected_bytes_keeps_fill_bytes_and_other_app_segments(tmp_path: Path) -> None:
    src = make_theta_jpeg(tmp_path / "R0010007.JPG", gpano_size=(32, 16))
    data = src.read_bytes()
    com = b"\xff\xfe\x00\x07hello"
    data = data[:2] + com + data[2:]
    fixed = metadata_fix.corrected_bytes(data, 64, 32)
    assert fixed.startswith(b"\xff\xd8" + com)
    assert non_xmp(fixed) == non_xmp(data)
    assert b"<GPano:FullPanoWidthPixels>64<" in xmp_payload(fixed)


def test_extended_xmp_without_gpano_is_no_obstacle(tmp_path: Path) -> None:
    # Extended XMP holding something else (a depth map, say) stays; GPano goes in the main one.
    packet = build_xmp_packet({}, extra=DC_TITLE)
    header = b"0" * 32 + struct.pack(">II", len(packet), 0)
    data = make_theta_jpeg(tmp_path / "R0010008.JPG", gpano=False).read_bytes()
    extension = XMP_EXTENSION_HEADER + header + packet
    segment = b"\xff\xe1" + struct.pack(">H", len(extension) + 2) + extension
    src = tmp_path / "with_ext.jpg"
    src.write_bytes(data[:2] + segment + data[2:])
    copy = fix_and_check(src, tmp_path)
    assert segment in copy.read_bytes()


def test_gpano_properties_helper_matches_target() -> None:
    # The fixture's idea of THETA GPano and the fixer's agree on every property they share.
    fixture = gpano_properties(64, 32)
    assert {k: fixture[k] for k in TARGET_64} == TARGET_64


# -- the real samples ---------------------------------------------------------------------------


@pytest.mark.samples
def test_room_5_5k_gimp_edit_is_fixed(tmp_path: Path) -> None:
    src = sample("room_5_5k.jpeg")
    copy = fix_and_check(src, tmp_path)
    result = inspect_file(copy)
    assert (result.width, result.height) == (5504, 2752)
    assert (result.exif_width, result.exif_height) == (5504, 2752)
    assert result.camera_code == "X"

    # Only the two EXIF values changed inside the Exif segment (little-endian TIFF from GIMP).
    (old_exif,) = [s for s in non_xmp(src.read_bytes()) if s[1][4:10] == b"Exif\x00\x00"]
    (new_exif,) = [s for s in non_xmp(copy.read_bytes()) if s[1][4:10] == b"Exif\x00\x00"]
    assert len(old_exif[1]) == len(new_exif[1])
    changed = [i for i, (a, b) in enumerate(zip(old_exif[1], new_exif[1], strict=True)) if a != b]
    assert changed and len(changed) <= 8
    old_tags, new_tags = piexif.load(old_exif[1][4:]), piexif.load(new_exif[1][4:])
    assert old_tags["Exif"][piexif.ExifIFD.PixelXDimension] == 11008
    assert new_tags["Exif"][piexif.ExifIFD.PixelXDimension] == 5504
    assert new_tags["Exif"][piexif.ExifIFD.PixelYDimension] == 2752
    for tag in (piexif.ExifIFD.PixelXDimension, piexif.ExifIFD.PixelYDimension):
        del old_tags["Exif"][tag], new_tags["Exif"][tag]
    assert old_tags == new_tags  # every other tag, MakerNote and thumbnail included
    assert [s for s in non_xmp(copy.read_bytes()) if s != new_exif] == [
        s for s in non_xmp(src.read_bytes()) if s != old_exif
    ]
    # GIMP's other XMP (history, document IDs) survives.
    payload = xmp_payload(copy.read_bytes())
    assert b"xmpMM:History" in payload and b"gimp:docid:gimp:bc0c386e" in payload
    assert decode(copy, reduce=8) == decode(src, reduce=8)


@pytest.mark.samples
def test_original_theta_without_xmp_is_fixed(tmp_path: Path) -> None:
    src = sample("Ver1.10.JPG")
    copy = fix_and_check(src, tmp_path)
    assert copy.name == "Ver1.10_fixed.jpg"
    assert non_xmp(copy.read_bytes()) == non_xmp(src.read_bytes())
    assert len(copy.read_bytes()) - len(src.read_bytes()) == len(
        [s for s in segments(copy.read_bytes())[0] if is_main_xmp(s)][0][1]
    )
    with Image.open(io.BytesIO(copy.read_bytes())) as image:
        assert image.size == (3584, 1792)
    assert decode(copy, reduce=8) == decode(src, reduce=8)


@pytest.mark.samples
@pytest.mark.parametrize("name", ["R0014760.JPG", "dualfisheye.jpg", "Ricoh.jpg"])
def test_other_samples_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(MetadataFixError):
        fix_into_copy(sample(name), tmp_path)
    assert list(tmp_path.iterdir()) == []
