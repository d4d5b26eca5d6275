"""The crash path: logged at CRITICAL (redacted), shown on the GUI thread, text copyable."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication

from thetadesk.core.logging_setup import init_logging, stop_logging
from thetadesk.gui import crash_dialog
from thetadesk.gui.crash_dialog import CrashDialog, install_excepthook

SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.fixture
def hooked(tmp_path: Path, monkeypatch):
    """The hook installed, the dialog replaced by a recorder, logging into tmp_path."""
    shown: list[tuple[str, str, bool]] = []

    def record(app_name: str, report: str) -> None:
        app = QApplication.instance()
        shown.append((app_name, report, QThread.currentThread() is app.thread()))

    monkeypatch.setattr(crash_dialog, "show_crash_dialog", record)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    log_file = init_logging(tmp_path)
    hook = install_excepthook("thetadesk")
    yield hook, shown, log_file
    stop_logging()


def raise_and_report(hook, message: str) -> None:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        hook(*sys.exc_info())


def test_uncaught_exception_is_logged_redacted_and_shown(hooked):
    hook, shown, log_file = hooked
    assert sys.excepthook is hook
    raise_and_report(hook, f"upload failed, token={SECRET}")

    text = log_file.read_text(encoding="utf-8")
    assert "CRITICAL" in text and "uncaught exception" in text
    assert "RuntimeError: upload failed" in text
    assert SECRET not in text
    [(app_name, report, on_gui_thread)] = shown
    assert app_name == "thetadesk" and on_gui_thread
    assert "RuntimeError: upload failed" in report and "Traceback" in report
    assert SECRET not in report


def test_exception_in_another_thread_is_shown_on_the_gui_thread(qtbot, hooked):
    _hook, shown, _log = hooked

    def fail() -> None:
        raise ValueError("worker broke")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5_000)
    assert "ValueError: worker broke" in shown[0][1]
    assert shown[0][2], "the dialog must be shown from the GUI thread"


def test_the_hook_never_raises(hooked, monkeypatch):
    hook, _shown, _log = hooked

    def broken(app_name: str, report: str) -> None:
        raise OSError("no display")

    monkeypatch.setattr(crash_dialog, "show_crash_dialog", broken)
    raise_and_report(hook, "first")  # must return normally


def test_dialog_text_is_selectable_and_copy_fills_the_clipboard(qtbot):
    dialog = CrashDialog("thetadesk", "Traceback (most recent call last):\nBoom")
    qtbot.addWidget(dialog)
    assert dialog.text.toPlainText().endswith("Boom")
    assert dialog.text.isReadOnly()
    flags = dialog.text.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    QApplication.clipboard().setText("something else")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "Traceback (most recent call last):\nBoom"
