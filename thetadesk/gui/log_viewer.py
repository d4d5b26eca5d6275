"""A window on the app's log file, with Refresh, auto-refresh and "Open Log Folder".

The file is the one logging_setup writes (`AppPaths.log_file`); only its last
`MAX_SHOWN_BYTES` are read, so a full 2 MB log opens at once. Auto-refresh polls the file's
size and modification time every second and reloads only when they change, keeping the
view at the bottom when it was there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.paths import AppPaths

log = logging.getLogger(__name__)

MAX_SHOWN_BYTES = 512 * 1024
REFRESH_MS = 1000


def open_folder(folder: Path) -> bool:
    """Open `folder` in the system file manager. Tests patch this."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def read_tail(path: Path, max_bytes: int = MAX_SHOWN_BYTES) -> str:
    """The last `max_bytes` of the file as text, starting at a whole line."""
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        start = max(0, size - max_bytes)
        stream.seek(start)
        data = stream.read()
    if start > 0:
        newline = data.find(b"\n")
        data = data[newline + 1 :] if newline >= 0 else data
    return data.decode("utf-8", "replace")


class LogViewer(QDialog):
    """Shows the log file; `refresh()` reloads it (auto-refresh on by default)."""

    def __init__(self, log_file: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_file = Path(log_file) if log_file is not None else AppPaths.default().log_file
        self.setWindowTitle("Log")
        self.resize(900, 520)
        self.path_label = QLabel(str(self.log_file))
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.open_folder_button = QPushButton("Open Log Folder")
        self.open_folder_button.clicked.connect(self.open_log_folder)
        self.auto_refresh = QCheckBox("Refresh automatically")
        self.auto_refresh.toggled.connect(self._set_auto_refresh)
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addWidget(self.auto_refresh)
        row.addStretch(1)
        row.addWidget(self.open_folder_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._poll)
        self._stamp: tuple[int, int] | None = None
        self.refresh()
        self.auto_refresh.setChecked(True)

    def refresh(self) -> None:
        """Reload the file now."""
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        try:
            content = read_tail(self.log_file)
            self._stamp = self._file_stamp()
        except FileNotFoundError:
            content = f"No log yet: {self.log_file} does not exist."
            self._stamp = None
        except OSError as error:
            content = f"Cannot read {self.log_file}: {error.strerror or error}"
            self._stamp = None
        if content != self.text.toPlainText():
            position = bar.value()
            self.text.setPlainText(content)
            bar.setValue(bar.maximum() if at_bottom else position)

    def open_log_folder(self) -> None:
        folder = self.log_file.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not open_folder(folder):
            log.warning("could not open the log folder %s", folder)

    def is_auto_refreshing(self) -> bool:
        return self._timer.isActive()

    def _set_auto_refresh(self, enabled: bool) -> None:
        if enabled:
            self._timer.start()
        else:
            self._timer.stop()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.log_file)
        except OSError:
            return None
        return info.st_size, info.st_mtime_ns

    def _poll(self) -> None:
        if self._file_stamp() != self._stamp:
            self.refresh()

    def done(self, result: int) -> None:
        self._timer.stop()
        super().done(result)
