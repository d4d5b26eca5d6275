"""The crash path: an uncaught exception is logged at CRITICAL and shown in a dialog whose
text can be selected and copied.

`install_excepthook(app_name)` replaces sys.excepthook (and threading.excepthook). The
traceback goes through logging, so the redacting filter of logging_setup scrubs tokens
before it reaches the log file; the dialog shows the same redacted text. Exceptions raised
in other threads are handed to the GUI thread through a queued signal. The hook never
raises: if anything goes wrong while reporting, it falls back to the previous hook.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.logging_setup import redact

log = logging.getLogger(__name__)


class CrashDialog(QDialog):
    """Shows a crash report; "Copy" puts the whole text on the clipboard."""

    def __init__(self, app_name: str, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{app_name} — unexpected error")
        self.report = report
        intro = QLabel(
            f"{app_name} ran into an unexpected error. The details below are also in the "
            "log file. Copy them into a bug report."
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(report)
        self.text.setReadOnly(True)  # read-only still lets the user select and copy
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(700, 420)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.report)


def format_report(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> str:
    """The traceback as text, with secrets scrubbed like the log file scrubs them."""
    return redact("".join(traceback.format_exception(exc_type, exc, tb)))


def show_crash_dialog(app_name: str, report: str) -> None:
    """Show the dialog modally. Tests patch this (it is looked up at call time)."""
    dialog = CrashDialog(app_name, report)
    dialog.exec()


class _Reporter(QObject):
    """Lives in the GUI thread; reports from other threads arrive through `report`."""

    report = Signal(str)

    def __init__(self, app_name: str, parent: QObject) -> None:
        super().__init__(parent)
        self.app_name = app_name
        self._showing = False
        self.report.connect(self._show)

    @Slot(str)
    def _show(self, text: str) -> None:
        if self._showing:  # an error while the dialog is open: logged, not stacked
            return
        self._showing = True
        try:
            show_crash_dialog(self.app_name, text)
        except Exception:  # noqa: BLE001 - the crash path must not crash
            log.exception("could not show the crash dialog")
        finally:
            self._showing = False


_reporter: _Reporter | None = None


def install_excepthook(app_name: str) -> Callable[..., None]:
    """Install the hooks (call once the QApplication exists); return the new sys.excepthook."""
    global _reporter
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install_excepthook needs the QApplication first")
    _reporter = _Reporter(app_name, app)
    reporter = _reporter
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        try:
            if issubclass(exc_type, KeyboardInterrupt):
                previous(exc_type, exc, tb)
                return
            log.critical("uncaught exception", exc_info=(exc_type, exc, tb))
            if not isinstance(QCoreApplication.instance(), QApplication):
                return
            # emit() from any thread: the connection is queued when we are not the GUI
            # thread, direct (shown now) when we are.
            reporter.report.emit(format_report(exc_type, exc, tb))
        except Exception:  # noqa: BLE001 - never raise from the hook
            try:
                previous(exc_type, exc, tb)
            except Exception:  # noqa: BLE001
                pass

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return hook
