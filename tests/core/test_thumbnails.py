"""Tile previews: the embedded EXIF thumbnail first, else a reduced decode within Pillow's limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, JpegImagePlugin

from tests.core.samples import sample
from tests.support.theta_fixtures import (
    make_oversized_header,
    make_png,
    make_theta_jpeg,
    thumbnail_bytes,
)
from thetadesk.core.thumbnails import embedded_thumbnail, thumbnail_image, thumbnail_jpeg


def test_embedded_thumbnail_is_the_exif_ifd1_jpeg(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "t.jpg", seed=3)
    assert embedded_thumbnail(path) == thumbnail_bytes(seed=3)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: make_theta_jpeg(p, thumbnail=False),
        lambda p: make_theta_jpeg(p, exif=False),
        make_png,
        lambda p: p,  # missing file
    ],
    ids=["no thumbnail", "no exif", "png", "missing"],
)
def test_no_embedded_thumbnail(tmp_path: Path, make) -> None:
    assert embedded_thumbnail(make(tmp_path / "t.jpg")) is None


def test_thumbnail_image_prefers_the_embedded_one(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "t.jpg", width=256, height=128)
    image = thumbnail_image(path)
    assert image is not None
    assert image.size == (32, 16)  # the fixture's thumbnail, not the 256×128 pixels
    assert image.mode == "RGB"


def test_reduced_decode_uses_dct_scaling(tmp_path: Path, monkeypatch) -> None:
    path = make_theta_jpeg(tmp_path / "big.jpg", width=2048, height=1024, thumbnail=False)
    scales = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real_draft(self, mode, size)
        scales.append(self.decoderconfig)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    image = thumbnail_image(path, max_side=128)
    assert image is not None and image.size == (128, 64)
    assert scales and scales[0][0] == 8, "decoded at 1/8 by libjpeg"


def test_max_image_pixels_is_honoured(tmp_path: Path, monkeypatch) -> None:
    assert Image.MAX_IMAGE_PIXELS is not None  # importing thetadesk never disables it
    path = make_theta_jpeg(tmp_path / "t.jpg", thumbnail=False)
    assert thumbnail_image(path) is not None
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 32 - 1)
    assert thumbnail_image(path) is None


def test_oversized_header_gives_none_without_decoding(tmp_path: Path) -> None:
    assert thumbnail_image(make_oversized_header(tmp_path / "huge.jpg")) is None


def test_undecodable_files_give_none(tmp_path: Path) -> None:
    whole = make_theta_jpeg(tmp_path / "w.jpg", thumbnail=False).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    assert thumbnail_image(cut) is None
    assert thumbnail_image(make_png(tmp_path / "p.JPG")) is None
    assert thumbnail_image(tmp_path / "missing.jpg") is None


def test_damaged_embedded_thumbnail_falls_back_to_the_pixels(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "t.jpg")
    data = path.read_bytes()
    thumb = thumbnail_bytes()
    at = data.index(thumb)
    # Keep SOI so it still looks like a JPEG, destroy the rest of the thumbnail.
    path.write_bytes(data[: at + 2] + bytes(len(thumb) - 2) + data[at + len(thumb) :])
    image = thumbnail_image(path)
    assert image is not None and image.size == (64, 32)


def test_thumbnail_jpeg_is_a_jpeg(tmp_path: Path) -> None:
    data = thumbnail_jpeg(make_theta_jpeg(tmp_path / "t.jpg", thumbnail=False), max_side=32)
    assert data is not None and data.startswith(b"\xff\xd8")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (32, 16)


def test_thumbnails_never_rotate(tmp_path: Path) -> None:
    path = make_theta_jpeg(tmp_path / "o.jpg", orientation=6, thumbnail=False)
    image = thumbnail_image(path)
    assert image is not None and image.size == (64, 32)


@pytest.mark.samples
@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("R0014760.JPG", (320, 160)),  # embedded 320×160 on the V
        ("R0010290.JPG", (160, 80)),  # embedded 160×80 on the S
        ("dualfisheye.jpg", (320, 160)),  # no EXIF: reduced decode of 800×400
    ],
)
def test_real_samples(name: str, size: tuple[int, int]) -> None:
    image = thumbnail_image(sample(name))
    assert image is not None and image.size == size


def test_the_quick_exif_thumbnail_finds_what_the_full_parse_finds(tmp_path: Path) -> None:
    """quick_embedded_thumbnail skips the EXIF parse for the common layout: on every file
    of the broken-file corpus, the real samples and the fixtures it gives the same bytes as
    embedded_thumbnail_as_is (it hands anything unusual to it)."""
    from tests.core.samples import SAMPLES
    from tests.support.broken_corpus import file_cases, write_case
    from thetadesk.core.thumbnails import embedded_thumbnail_as_is, quick_embedded_thumbnail

    paths = [write_case(tmp_path, case) for case in file_cases()]
    paths += sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in {".jpg", ".jpeg"})
    paths += [make_theta_jpeg(tmp_path / f"f{n}.jpg", seed=n) for n in range(5)]
    paths.append(make_theta_jpeg(tmp_path / "none.jpg", thumbnail=False))
    for path in paths:
        for side in (320, 16):
            assert quick_embedded_thumbnail(path, side) == embedded_thumbnail_as_is(path, side), (
                path.name
            )
