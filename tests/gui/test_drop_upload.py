"""Dropping files and folders on the window: tiles with verdicts, the good ones on the server."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import (
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    server_titles,
    sign_in,
)
from thetadesk.gui.photo_model import PhotoRole, UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def test_dropped_files_and_folders_are_checked_and_the_uploadable_ones_uploaded(
    qtbot, make_window, server, theta_files
):
    window = make_window(sign_in(server.url))
    mime = file_urls(
        theta_files["ok"],
        theta_files["warning"],
        theta_files["needs_review"],
        theta_files["rejected"],
        theta_files["folder"],
    )
    event = drop(window, mime)
    assert event.isAccepted()
    assert event.dropAction() == Qt.DropAction.CopyAction

    qtbot.waitUntil(lambda: all_final(window, 6), timeout=30_000)
    uploadable = sorted(
        theta_files[key].stem for key in ("ok", "warning", "folder_ok_1", "folder_ok_2")
    )
    qtbot.waitUntil(lambda: server_titles(server.url) == uploadable, timeout=10_000)

    verdicts = {row.path: row.inspection.verdict.value for row in window.model.rows}
    for key in ("ok", "warning", "needs_review", "rejected"):
        assert verdicts[theta_files[key]] == key
    states = {row.path: row.state for row in window.model.rows}
    assert states[theta_files["needs_review"]] is UploadState.HELD
    assert states[theta_files["rejected"]] is UploadState.REJECTED
    assert states[theta_files["folder_ok_1"]] is UploadState.UPLOADED

    # The tiles show it too: verdict, headline, tooltip with every reason, the summary.
    model = window.model
    rejected_index = model.index([row.path for row in model.rows].index(theta_files["rejected"]))
    assert rejected_index.data(PhotoRole.VERDICT) == "rejected"
    assert "dual-fisheye" in rejected_index.data(PhotoRole.HEADLINE)
    assert "dual-fisheye" in rejected_index.data(Qt.ItemDataRole.ToolTipRole)
    qtbot.waitUntil(
        lambda: (
            window.summary_label.text()
            == "6 files: 3 ok, 1 warning, 1 needs review, 1 rejected · 4 uploaded"
        ),
        timeout=2000,
    )
    assert window.grid.model().sourceModel() is model


def test_uploaded_photos_carry_camera_model_and_date_from_exif(
    qtbot, make_window, server, theta_files
):
    window = make_window(sign_in(server.url))
    drop(window, file_urls(theta_files["ok"]))
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    (photo,) = sign_in(server.url).client.list_photos()
    assert photo["title"] == theta_files["ok"].stem
    assert photo["camera_model"] == "V"
    assert photo["date_taken"] == "2024-05-06"
    assert window.model.rows[0].photo_id == photo["id"]


def test_drag_enter_accepts_urls_as_a_copy_and_refuses_anything_else(make_window, theta_files):
    window = make_window(None)
    files = file_urls(theta_files["ok"])  # kept referenced: the event only points to it
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.MoveAction | Qt.DropAction.CopyAction,
        files,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert enter.dropAction() == Qt.DropAction.CopyAction

    # Over the tiles, the grid itself takes no drops: Qt hands the drag on to the window.
    over_grid = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        files,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.grid.viewport(), over_grid)
    assert over_grid.isAccepted()

    text_only = QMimeData()
    text_only.setText("/some/path.jpg")  # text is not a file: no string surgery on it
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.org/R0010001.JPG")])
    # A web link is taken (as a copy) only so the drop can say why nothing was added
    # (test_drop_urls.py); plain text is refused.
    for mime, accepted in ((text_only, False), (remote, True)):
        enter = QDragEnterEvent(
            QPoint(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(window, enter)
        assert enter.isAccepted() is accepted


def test_dropping_the_same_file_twice_lists_and_uploads_it_once(
    qtbot, make_window, server, theta_files
):
    window = make_window(sign_in(server.url))
    drop(window, file_urls(theta_files["ok"]))
    drop(window, file_urls(theta_files["ok"], theta_files["ok"]))
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    # A later drop of the same file is still ignored once it is uploaded.
    again = file_urls(theta_files["ok"])
    drop(window, again)
    qtbot.waitUntil(lambda: "already listed" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.model.rowCount() == 1
    assert server_titles(server.url) == [theta_files["ok"].stem]


def test_signed_out_window_checks_files_and_keeps_uploadable_ones_waiting(
    qtbot, make_window, server, theta_files
):
    window = make_window(None, server_url=server.url, username="tutorial")
    assert "Not signed in" in window.account_label.text()
    drop(window, file_urls(theta_files["ok"], theta_files["rejected"]))
    qtbot.waitUntil(
        lambda: len(window.model.rows) == 2 and all(r.inspection for r in window.model.rows),
        timeout=30_000,
    )
    ok_row = window.model.row_for(theta_files["ok"])
    assert ok_row.state is UploadState.QUEUED
    assert ok_row.reason == "waiting for sign-in"
    assert window.pending_uploads() == 1

    window.set_session(sign_in(server.url))
    qtbot.waitUntil(
        lambda: window.model.row_for(theta_files["ok"]).state is UploadState.UPLOADED,
        timeout=30_000,
    )
    assert "Signed in as <b>tutorial</b>" in window.account_label.text()
    assert server_titles(server.url) == [theta_files["ok"].stem]
