"""The window opens the 360 viewer (double-click), shows the metadata panel for the
selection, the log viewer from the Help menu, and installs the crash dialog's hook."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import (
    OFFSCREEN_SIZE_HINTS,
    copied_a_while_ago,
    drop,
    file_urls,
    select,
    state_of,
)
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.gui import app
from thetadesk.gui.metadata_panel import GPS_WARNING
from thetadesk.gui.photo_model import UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


@pytest.fixture
def panorama(tmp_path):
    path = make_theta_jpeg(tmp_path / "R0060001.JPG", width=1024, height=512, seed=31)
    copied_a_while_ago(path)
    return path


def test_double_click_opens_the_360_viewer_and_closing_it_leaves_no_thread(
    qtbot, make_window, panorama
):
    window = make_window(None)
    mime = file_urls(panorama)
    drop(window, mime)
    qtbot.waitUntil(lambda: state_of(window, panorama) is not None, timeout=10_000)
    source = window.model.index_of(window.model.row_for(panorama).item_id)
    index = window.filter_model.mapFromSource(source)
    qtbot.waitUntil(lambda: window.grid.visualRect(index).isValid(), timeout=5_000)  # laid out
    where = window.grid.visualRect(index).center()
    qtbot.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert len(window.viewers) == 1
    dialog = window.viewers[0]
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=20_000)
    assert dialog.error_text() == ""
    assert dialog.path == panorama
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.finished, timeout=10_000):
        dialog.close()
    assert window.viewers == []
    # The keyboard way: Ctrl+Return on the selected tile.
    select(window, panorama)
    window.act_view_360.trigger()
    assert len(window.viewers) == 1
    window.viewers[0].close()
    assert window.viewers == []


def test_the_selection_shows_the_metadata_panel_with_its_gps_warning(qtbot, make_window, panorama):
    window = make_window(None)
    mime = file_urls(panorama)
    drop(window, mime)
    qtbot.waitUntil(lambda: state_of(window, panorama) is UploadState.QUEUED, timeout=30_000)
    panel = window.details.metadata
    assert not panel.isVisibleTo(window)
    select(window, panorama)
    assert panel.isVisibleTo(window)
    assert "RICOH THETA V" in panel.value("Camera")
    assert panel.value("Pixel size") == "1024 × 512"
    assert panel.value("GPS position") == "yes"
    assert panel.gps_warning.isVisibleTo(window) and panel.gps_warning.text() == GPS_WARNING
    window.grid.selectionModel().clearSelection()
    assert not panel.isVisibleTo(window)


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, "This plugin does not support raise")
def test_help_shows_the_log(qtbot, make_window):
    window = make_window(None)
    window.paths.log_file.parent.mkdir(parents=True, exist_ok=True)
    window.paths.log_file.write_text("2026-01-01 INFO thetadesk: hello from the log\n")
    assert window.act_show_log in window.help_menu.actions()
    window.act_show_log.trigger()
    viewer = window.log_viewer
    assert viewer is not None and viewer.isVisible()
    assert "hello from the log" in viewer.text.toPlainText()
    viewer.close()
    qtbot.waitUntil(lambda: window.log_viewer is None, timeout=5_000)


def test_the_app_installs_the_crash_dialog_as_excepthook(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    before = sys.excepthook
    assert app.setup_application() is QApplication.instance()
    assert sys.excepthook is not before
    assert sys.excepthook.__module__ == "thetadesk.gui.crash_dialog"
    assert threading.excepthook.__module__ == "thetadesk.gui.crash_dialog"
