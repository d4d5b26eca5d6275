"""The log viewer: shows the log file, follows it, opens its folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from thetadesk.core.logging_setup import init_logging, stop_logging
from thetadesk.gui import log_viewer
from thetadesk.gui.log_viewer import LogViewer, read_tail


@pytest.fixture
def log_file(tmp_path: Path):
    path = init_logging(tmp_path / "logs")
    yield path
    stop_logging()


def test_shows_what_the_app_logged(qtbot, log_file: Path):
    logging.getLogger("thetadesk.test").warning("hello from the test, token=abc.def")
    for handler in logging.getLogger().handlers:
        handler.flush()
    viewer = LogViewer(log_file)
    qtbot.addWidget(viewer)
    assert "hello from the test" in viewer.text.toPlainText()
    assert "abc.def" not in viewer.text.toPlainText()  # the log itself is redacted
    assert str(log_file) in viewer.path_label.text()


def test_refresh_and_auto_refresh_pick_up_new_lines(qtbot, log_file: Path):
    viewer = LogViewer(log_file)
    qtbot.addWidget(viewer)
    assert viewer.is_auto_refreshing()
    with open(log_file, "a", encoding="utf-8") as stream:
        stream.write("a line written later\n")
    qtbot.waitUntil(lambda: "a line written later" in viewer.text.toPlainText(), timeout=5000)

    viewer.auto_refresh.setChecked(False)
    assert not viewer.is_auto_refreshing()
    with open(log_file, "a", encoding="utf-8") as stream:
        stream.write("another one\n")
    assert "another one" not in viewer.text.toPlainText()
    viewer.refresh_button.click()
    assert "another one" in viewer.text.toPlainText()


def test_missing_log_says_so(qtbot, tmp_path: Path):
    viewer = LogViewer(tmp_path / "nowhere" / "thetadesk.log")
    qtbot.addWidget(viewer)
    assert "No log yet" in viewer.text.toPlainText()


def test_open_log_folder_opens_the_files_folder(qtbot, log_file: Path, monkeypatch):
    opened: list[Path] = []
    monkeypatch.setattr(log_viewer, "open_folder", lambda folder: opened.append(folder) or True)
    viewer = LogViewer(log_file)
    qtbot.addWidget(viewer)
    viewer.open_folder_button.click()
    assert opened == [log_file.parent]


def test_closing_stops_the_timer(qtbot, log_file: Path):
    viewer = LogViewer(log_file)
    qtbot.addWidget(viewer)
    viewer.reject()
    assert not viewer.is_auto_refreshing()


def test_read_tail_starts_at_a_whole_line(tmp_path: Path):
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)), encoding="utf-8")
    tail = read_tail(path, max_bytes=100)
    assert tail.endswith("line 999\n")
    assert tail.startswith("line ") and len(tail) <= 100


def test_default_path_is_the_apps_log_file(qtbot, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("THETADESK_LOG_DIR", str(tmp_path))
    viewer = LogViewer()
    qtbot.addWidget(viewer)
    assert viewer.log_file == tmp_path / "thetadesk.log"
