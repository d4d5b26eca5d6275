"""The verdict table of theta-metadata.md, on the six real camera files."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from tests.core.samples import SHA256, sample
from thetadesk.core.inspection import Verdict, inspect_file

pytestmark = pytest.mark.samples

# File -> (verdict, camera_code), exactly as the table in theta-metadata.md.
TABLE = {
    "R0014760.JPG": (Verdict.OK, "V"),
    "R0010290.JPG": (Verdict.OK, "S"),
    "room_5_5k.jpeg": (Verdict.WARNING, "X"),
    "Ver1.10.JPG": (Verdict.WARNING, ""),
    "dualfisheye.jpg": (Verdict.NEEDS_REVIEW, ""),
    "Ricoh.jpg": (Verdict.REJECTED, ""),
}


def sha256(path: os.PathLike[str]) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@pytest.mark.parametrize("name", list(TABLE))
def test_verdict_and_camera_code_match_the_table(name: str) -> None:
    path = sample(name)
    assert sha256(path) == SHA256[name], "not the sample SOURCES.md describes"
    before = os.stat(path)

    result = inspect_file(path)

    assert (result.verdict, result.camera_code) == TABLE[name], result.reasons
    assert result.reasons and all(result.reasons)
    assert result.size_bytes == before.st_size
    json.dumps(result.to_json())
    # Read-only: the bytes and the modification time are untouched.
    assert sha256(path) == SHA256[name]
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_theta_v_facts() -> None:
    result = inspect_file(sample("R0014760.JPG"))
    assert result.model == "RICOH THETA V"  # padded to 16 characters in the file
    assert result.make == "RICOH"
    assert result.is_theta
    assert result.firmware == "RICOH THETA V Ver 3.30.1"
    assert (result.width, result.height) == (5376, 2688)
    assert (result.exif_width, result.exif_height) == (5376, 2688)
    assert result.projection == "equirectangular"
    assert result.gpano["PosePitchDegrees"] == "0.0"
    assert "PoseHeadingDegrees" not in result.gpano
    assert result.theta_image_type == 1
    assert result.has_gps
    assert result.date_taken == "2020-05-11"
    assert result.datetime_original == "2020:05:11 11:28:25"
    assert result.has_embedded_thumbnail
    assert not result.progressive
    assert result.orientation == 1


def test_theta_s_facts() -> None:
    result = inspect_file(sample("R0010290.JPG"))
    assert result.model == "RICOH THETA S"  # padded to 63 characters in the file
    assert (result.width, result.height) == (5376, 2688)
    assert result.gpano["PoseRollDegrees"] == "4.1"
    assert result.gpano["PoseHeadingDegrees"] == "0.0"
    assert not result.has_gps  # a GPS IFD without a position is not GPS
    assert result.date_taken == "2015-12-26"
    assert result.has_embedded_thumbnail


def test_gimp_resaved_theta_x_names_both_sizes() -> None:
    result = inspect_file(sample("room_5_5k.jpeg"))
    assert (result.width, result.height) == (5504, 2752)
    assert (result.exif_width, result.exif_height) == (11008, 5504)
    assert result.progressive
    assert result.projection == "equirectangular"
    assert result.theta_image_type is None
    assert not result.has_gps
    assert result.date_taken == "2023-04-25"
    headline = result.reasons[0]
    assert "11008×5504" in headline and "5504×2752" in headline


def test_original_theta_has_makernote_but_no_gpano() -> None:
    result = inspect_file(sample("Ver1.10.JPG"))
    assert result.model == "RICOH THETA"
    assert result.is_theta
    assert result.theta_image_type == 1
    assert result.projection is None and not result.gpano
    assert (result.width, result.height) == (3584, 1792)
    assert "GPano" in result.reasons[0]
    assert result.date_taken == "2013-11-30"


def test_dualfisheye_without_metadata_needs_review() -> None:
    result = inspect_file(sample("dualfisheye.jpg"))
    assert (result.width, result.height) == (800, 400)
    assert result.model == "" and result.make == ""
    assert result.date_taken is None
    assert not result.has_embedded_thumbnail


def test_caplio_is_a_ricoh_but_not_a_theta() -> None:
    result = inspect_file(sample("Ricoh.jpg"))
    assert result.make == "RICOH"
    assert result.model == "Caplio RR1"
    assert not result.is_theta
    assert (result.width, result.height) == (8, 8)
    assert "2:1" in result.reasons[0]
