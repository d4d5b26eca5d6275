"""The app icon is found in a source checkout and in a PyInstaller bundle."""

from __future__ import annotations

import sys

from PySide6.QtGui import QImage

from thetadesk.gui import resources


def test_icon_files_are_found_in_the_checkout():
    folder = resources.resource_dir()
    assert (folder / resources.ICON_SVG).is_file()
    assert (folder / resources.ICON_PNG).is_file()
    icon = resources.app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).isNull()


def test_a_frozen_bundle_looks_in_its_own_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_dir() == tmp_path / "resources"
    assert resources.resource_path("x.png") == tmp_path / "resources" / "x.png"


def test_the_png_is_rendered_from_the_svg(tmp_path):
    target = tmp_path / "icon.png"
    assert resources.render_png(resources.resource_path(resources.ICON_SVG), target, side=64)
    image = QImage(str(target))
    assert (image.width(), image.height()) == (64, 64)
