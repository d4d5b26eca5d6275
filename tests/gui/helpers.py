"""Helpers for the GUI tests: signing in to a test server, dropping files on a window."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from thetadesk.core.api import Image360Client
from thetadesk.gui.login_dialog import Session
from thetadesk.gui.main_window import MainWindow
from thetadesk.gui.photo_model import UploadState

DEMO_USER, DEMO_PASSWORD = "tutorial", "theta360DotGuide"

# The offscreen platform says this when a shown main window's status bar size grip asks for
# size hints; it is about the test platform, not the app. Modules that show windows ignore it.
OFFSCREEN_SIZE_HINTS = "This plugin does not support propagateSizeHints"

FINAL_STATES = {
    UploadState.UPLOADED,
    UploadState.SKIPPED,
    UploadState.HELD,
    UploadState.REJECTED,
    UploadState.FAILED,
    UploadState.CANCELLED,
}


def sign_in(server_url: str) -> Session:
    client = Image360Client(server_url)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    return Session(client, DEMO_USER)


def server_titles(server_url: str) -> list[str]:
    """What the server holds, seen through a client of its own (not the window's)."""
    return sorted(photo["title"] for photo in sign_in(server_url).client.list_photos())


def file_urls(*paths: Path) -> QMimeData:
    """Keep the result referenced while events use it: a Qt event only points to it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(window: MainWindow, mime: QMimeData) -> QDropEvent:
    """Deliver what a real drag delivers: enter (which must be accepted), then the drop."""
    # A QPoint for the drag events: PySide6 before 6.12 has no QPointF overload for them.
    where = window.rect().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where, actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(where), actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, event)
    return event


def all_final(window: MainWindow, count: int) -> bool:
    rows = window.model.rows
    return len(rows) == count and all(row.state in FINAL_STATES for row in rows)


def copied_a_while_ago(*paths: Path) -> None:
    """Date files in the past: the engine waits for files modified in the last seconds
    (they may still be being copied), and a test's files are brand new."""
    past = time.time() - 3600
    for path in paths:
        os.utime(path, (past, past))




def select(window: MainWindow, *paths: Path) -> None:
    """Select these files' tiles (as a Ctrl+click on each would)."""
    from PySide6.QtCore import QItemSelectionModel

    selection = window.grid.selectionModel()
    selection.clearSelection()
    proxy = window.filter_model
    for path in paths:
        source = window.model.index_of(window.model.row_for(path).item_id)
        index = proxy.mapFromSource(source)
        assert index.isValid(), f"{path.name} is not shown under the current filter"
        selection.select(index, QItemSelectionModel.SelectionFlag.Select)


def state_of(window: MainWindow, path: Path) -> UploadState | None:
    row = window.model.row_for(path)
    return None if row is None else row.state
