"""The sign-in dialog against the real server: the server's own words when it says no."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QDialog

from tests.gui.helpers import DEMO_PASSWORD, DEMO_USER, OFFSCREEN_SIZE_HINTS
from thetadesk.gui.login_dialog import LoginDialog

WRONG_CREDENTIALS = "No active account found with the given credentials"


def fill(dialog: LoginDialog, server: str, username: str, password: str) -> None:
    dialog.server_edit.setText(server)
    dialog.username_edit.setText(username)
    dialog.password_edit.setText(password)


def test_wrong_password_shows_the_servers_detail(qtbot, live_server):
    dialog = LoginDialog(server_url=live_server.url, username=DEMO_USER)
    qtbot.addWidget(dialog)
    dialog.password_edit.setText("not the password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: WRONG_CREDENTIALS in dialog.message_label.text(), timeout=15_000)
    assert dialog.session is None
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.sign_in_button.isEnabled()  # ready for another try


def test_right_password_signs_in(qtbot, live_server):
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    fill(dialog, live_server.url, DEMO_USER, DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.sign_in()
    assert dialog.session is not None
    assert dialog.session.username == DEMO_USER
    assert dialog.session.client.tokens.signed_in
    assert dialog.session.client.list_photos() is not None


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_return_in_the_password_field_signs_in(qtbot, live_server):
    # A returning user: the server and username are filled in, the cursor is in the
    # password field, and Return is how most people finish.
    dialog = LoginDialog(server_url=live_server.url, username=DEMO_USER)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.sign_in_button.isDefault()
    dialog.password_edit.setText(DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        # An impatient second Return while it signs in must not cancel it.
        assert dialog.busy
        focused = dialog.focusWidget() or dialog
        qtbot.keyClick(focused, Qt.Key.Key_Return)
        assert dialog.isVisible()  # not cancelled
    assert dialog.session is not None and dialog.session.client.tokens.signed_in


def test_unreachable_server_says_so(qtbot):
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    fill(dialog, f"http://127.0.0.1:{port}", DEMO_USER, DEMO_PASSWORD)
    dialog.sign_in()
    assert dialog.busy  # the request runs off the GUI thread
    qtbot.waitUntil(lambda: "Cannot reach" in dialog.message_label.text(), timeout=15_000)
    assert "Is the server running" in dialog.message_label.text()
    assert not dialog.busy


def test_plain_http_to_a_remote_host_is_refused_before_any_request(qtbot):
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    fill(dialog, "http://photos.example.org", DEMO_USER, DEMO_PASSWORD)
    dialog.sign_in()
    assert "Refusing plain http://" in dialog.message_label.text()
    assert not dialog.busy


def test_cancel_while_signing_in_ignores_the_late_answer(qtbot, qapp, live_server):
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    fill(dialog, live_server.url, DEMO_USER, DEMO_PASSWORD)
    dialog.sign_in()
    dialog.reject()
    # The sign-in still completes on its pool thread; then its answer reaches the GUI thread.
    assert QThreadPool.globalInstance().waitForDone(15_000)
    qapp.processEvents()
    assert dialog.session is None
    assert dialog.result() == QDialog.DialogCode.Rejected
