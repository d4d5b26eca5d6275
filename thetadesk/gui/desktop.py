"""Handing things to the desktop: links to the browser, folders to the file manager.

One place, so tests can patch `open_url` instead of opening real applications.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def open_url(url: QUrl) -> bool:
    """Open a link (browser, image viewer) or a local folder (file manager)."""
    return QDesktopServices.openUrl(url)


def open_folder(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return open_url(QUrl.fromLocalFile(str(path)))
