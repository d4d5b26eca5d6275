"""The metadata panel shows what inspection found, and warns when GPS would be published."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.samples import sample
from tests.support.theta_fixtures import make_plain_jpeg, make_theta_jpeg
from thetadesk.core.inspection import inspect_file
from thetadesk.gui.metadata_panel import GPS_WARNING, MetadataPanel


@pytest.fixture
def panel(qtbot) -> MetadataPanel:
    widget = MetadataPanel()
    qtbot.addWidget(widget)
    return widget


def test_theta_photo_fields_and_gps_warning(panel: MetadataPanel, tmp_path: Path):
    path = make_theta_jpeg(
        tmp_path / "R0010001.JPG",
        model="RICOH THETA V",
        gpano_props={"PoseHeadingDegrees": "12.5", "PosePitchDegrees": "1.9"},
        gps=True,
    )
    panel.show_inspection(inspect_file(path))
    assert panel.value("Camera") == "RICOH THETA V (code V)"
    assert panel.value("Firmware") == "RICOH THETA V Ver 1.00"
    assert panel.value("Pixel size") == "64 × 32"
    assert panel.value("Projection") == "equirectangular"
    assert panel.value("Full panorama") == "64 × 32"
    assert panel.value("Cropped offset") == "0, 0"
    assert panel.value("Heading") == "12.5°"
    assert panel.value("Pitch") == "1.9°"
    assert panel.value("Roll") == "0.0°"
    assert panel.value("GPS position") == "yes"
    assert not panel.gps_warning.isHidden()
    assert panel.gps_warning.text() == GPS_WARNING
    assert "ok" in panel.verdict.text() and "stitched 360" in panel.verdict.text()
    assert "R0010001.JPG" in panel.title.text()


def test_no_gps_no_warning_and_every_reason_listed(panel: MetadataPanel, tmp_path: Path):
    path = make_theta_jpeg(tmp_path / "x.jpg", gps=False, gpano_size=(128, 64), exif_size=(1, 1))
    result = inspect_file(path)
    panel.show_inspection(result)
    assert panel.value("GPS position") == "no"
    assert panel.gps_warning.isHidden()
    assert len(result.reasons) >= 2
    for reason in result.reasons:
        assert reason in panel.verdict.text()
    assert panel.value("Pixel size") == "64 × 32 (EXIF says 1 × 1)"


def test_missing_metadata_shows_dashes_and_none_clears(panel: MetadataPanel, tmp_path: Path):
    panel.show_inspection(inspect_file(make_plain_jpeg(tmp_path / "<b>odd.jpg")))
    assert panel.value("Projection") == "—"
    assert panel.value("Heading") == "—"
    assert "&lt;b&gt;odd" in panel.title.text()  # names are text, not markup
    panel.show_inspection(None)
    assert panel.title.text() == "No photo selected"
    assert all(panel.value(label) == "—" for label in panel.field_labels())
    assert panel.gps_warning.isHidden()


@pytest.mark.samples
def test_real_theta_s_pose(panel: MetadataPanel):
    panel.show_inspection(inspect_file(sample("R0010290.JPG")))
    assert (panel.value("Pitch"), panel.value("Roll")) == ("1.9°", "4.1°")
    assert panel.value("Pixel size") == "5376 × 2688"


def test_the_gps_warning_follows_a_dark_theme(panel: MetadataPanel):
    from PySide6.QtGui import QColor, QPalette

    light = panel.gps_warning.styleSheet()
    assert "#fff3cd" in light
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    panel.setPalette(dark)
    assert panel.gps_warning.styleSheet() != light
    assert "#3d3000" in panel.gps_warning.styleSheet()
