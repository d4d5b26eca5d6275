"""Handing things to the desktop: links to the browser, folders to the file manager.

One place, so tests can patch `open_url` and `ask_folder` instead of opening real
applications and modal file dialogs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget


def open_url(url: QUrl) -> bool:
    """Open a link (browser, image viewer) or a local folder (file manager)."""
    return QDesktopServices.openUrl(url)


def open_folder(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return open_url(QUrl.fromLocalFile(str(path)))


def ask_folder(parent: QWidget | None, title: str, start: Path | None = None) -> Path | None:
    """Let the user pick a folder; None when they cancel."""
    folder = QFileDialog.getExistingDirectory(parent, title, str(start or ""))
    return Path(folder) if folder else None
