"""Keyboard shortcuts, remembered geometry, light and dark palettes, crisp icons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import OFFSCREEN_SIZE_HINTS
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.queue_store import ItemState, QueueStore
from thetadesk.gui import desktop
from thetadesk.gui.photo_grid import PhotoGrid
from thetadesk.gui.photo_model import PhotoModel, UploadState
from thetadesk.gui.tile_delegate import STATE_COLORS, readable

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def test_main_actions_have_shortcuts(make_window):
    window = make_window(None)
    expected = {
        window.act_add_photos: QKeySequence(QKeySequence.StandardKey.Open),
        window.act_add_folder: QKeySequence("Ctrl+Shift+O"),
        window.act_pause_all: QKeySequence("Ctrl+P"),
        window.act_retry_now: QKeySequence("Ctrl+Shift+R"),
        window.act_retry_failed: QKeySequence("Ctrl+R"),
        window.act_upload_anyway: QKeySequence("Ctrl+U"),
        window.act_remove: QKeySequence(QKeySequence.StandardKey.Delete),
        window.act_cancel: QKeySequence("Ctrl+Shift+X"),
        window.act_clear: QKeySequence("Ctrl+Shift+K"),
        window.act_show_queue: QKeySequence("Ctrl+1"),
        window.act_show_library: QKeySequence("Ctrl+2"),
        window.act_refresh_library: QKeySequence(QKeySequence.StandardKey.Refresh),
        window.act_settings: QKeySequence("Ctrl+,"),
        window.act_view_360: QKeySequence("Ctrl+Return"),
        window.act_fix_metadata: QKeySequence("Ctrl+Shift+F"),
        window.act_show_log: QKeySequence("Ctrl+Shift+L"),
    }
    for action, sequence in expected.items():
        assert sequence in action.shortcuts(), action.text()
    shortcuts = [s.toString() for a in expected for s in a.shortcuts()]
    assert len(shortcuts) == len(set(shortcuts)), "two actions share a shortcut"


def test_a_shortcut_works_from_the_keyboard(qtbot, make_window):
    window = make_window(None)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window.grid, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.library
    qtbot.keyClick(window.library, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0


def test_window_geometry_and_splitter_are_remembered(make_window):
    first = make_window(None)
    first.resize(790, 560)  # within the offscreen screen (800×600)
    first.splitter.setSizes([420, 300])
    size, sizes = first.size(), first.splitter.sizes()
    assert size != QSize(1040, 680)  # not the default size
    first.close()
    second = make_window(None)
    assert second.size() == size
    assert second.splitter.sizes() == sizes


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.Base, "#17181a"),
        (QPalette.ColorRole.AlternateBase, "#26282b"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Mid, "#5f6368"),
        (QPalette.ColorRole.Highlight, "#8ab4f8"),
        (QPalette.ColorRole.HighlightedText, "#202124"),
        (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def test_tiles_follow_a_dark_palette(qtbot, tmp_path):
    """Text comes from the palette; status colours are lightened on a dark background."""
    path = make_theta_jpeg(tmp_path / "R0010001.JPG")
    model = PhotoModel()
    with QueueStore(":memory:") as store:
        item, _ = store.add("s", "u", path)
        model.apply_items([store.update(item.id, state=ItemState.FAILED, reason="no")])
    model.flush()
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.setPalette(dark_palette())
    grid.setModel(model)
    grid.resize(300, 300)
    shot = grid.grab().toImage()
    colours = {
        shot.pixelColor(x, y).name() for x in range(shot.width()) for y in range(shot.height())
    }
    assert "#17181a" in colours  # the dark base behind the tile
    assert "#e8eaed" in colours  # the file name in the palette's text colour
    light_red = readable(STATE_COLORS[UploadState.FAILED], dark_palette())
    assert light_red.lightness() > STATE_COLORS[UploadState.FAILED].lightness()
    assert (
        readable(STATE_COLORS[UploadState.FAILED], QPalette(QColor("white")))
        == (STATE_COLORS[UploadState.FAILED])
    )


def test_icons_render_at_the_screens_pixel_ratio(make_window):
    window = make_window(None)
    for action in (window.act_add_photos, window.act_pause_all, window.act_settings):
        assert not action.icon().isNull(), action.text()
        pixmap = action.icon().pixmap(QSize(16, 16), 2.0)
        assert pixmap.devicePixelRatio() == 2.0
        assert pixmap.width() >= 32  # drawn for the high-DPI size, not scaled up from 16
    app_icon = QApplication.windowIcon()
    assert app_icon.isNull() or app_icon.pixmap(QSize(64, 64), 2.0).width() >= 128


def test_open_log_folder_hands_the_log_folder_to_the_desktop(make_window, monkeypatch):
    opened: list[QUrl] = []
    monkeypatch.setattr(desktop, "open_url", lambda url: opened.append(url) or True)
    window = make_window(None)
    window.act_open_log_folder.trigger()
    assert [url.toLocalFile() for url in opened] == [str(window.paths.log_dir)]
    assert window.act_open_log_folder in window.help_menu.actions()
