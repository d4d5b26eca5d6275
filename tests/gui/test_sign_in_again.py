"""Expired sessions while the window uploads: refreshed silently, or the login comes back."""

from __future__ import annotations

import time

import pytest

from tests.gui.helpers import (
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    server_titles,
    sign_in,
)
from tests.support.jwt_clock import expiry_of
from thetadesk.gui import login_dialog
from thetadesk.gui.photo_model import UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


class AskRecorder:
    """Stands in for login_dialog.ask: records each call, answers with `answer()`."""

    def __init__(self, answer=lambda: None) -> None:
        self.calls: list[dict] = []
        self._answer = answer

    def __call__(self, parent=None, **kwargs):
        self.calls.append(kwargs)
        return self._answer()


def test_an_expired_access_token_is_refreshed_without_asking(
    qtbot, make_window, server_factory, theta_files, monkeypatch
):
    server = server_factory(access_lifetime=2)
    ask = AskRecorder()
    monkeypatch.setattr(login_dialog, "ask", ask)
    session = sign_in(server.url)
    window = make_window(session)
    access = session.client.tokens.access
    # Waiting for the server's clock: the token is expired once its `exp` has passed.
    qtbot.waitUntil(lambda: time.time() > expiry_of(access) + 0.5, timeout=10_000)

    mime = file_urls(theta_files["ok"])
    drop(window, mime)
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)

    assert window.model.rows[0].state is UploadState.UPLOADED
    assert session.client.tokens.refresh_count >= 1
    assert session.client.tokens.access != access
    assert ask.calls == []
    assert window.session is session
    assert server_titles(server.url) == [theta_files["ok"].stem]


def test_a_failed_refresh_brings_the_login_back_and_no_queued_file_is_lost(
    qtbot, make_window, server, theta_files, monkeypatch
):
    ask = AskRecorder(answer=lambda: sign_in(server.url))
    monkeypatch.setattr(login_dialog, "ask", ask)
    first = sign_in(server.url)
    window = make_window(first)
    first.client.tokens.set("garbage", "garbage")  # the refresh itself will be refused

    mime = file_urls(theta_files["ok"], theta_files["warning"], theta_files["folder"])
    drop(window, mime)
    uploadable = sorted(
        theta_files[key].stem for key in ("ok", "warning", "folder_ok_1", "folder_ok_2")
    )
    qtbot.waitUntil(lambda: all_final(window, 4), timeout=30_000)
    assert server_titles(server.url) == uploadable

    assert len(ask.calls) == 1, "the login dialog is asked for once, then uploads resume"
    assert "Sign-in needed" in ask.calls[0]["message"]
    assert ask.calls[0]["username"] == "tutorial"
    assert window.session is not None and window.session is not first
    assert all(row.state is UploadState.UPLOADED for row in window.model.rows)
    assert "Signed in as" in window.account_label.text()


def test_cancelling_the_login_keeps_the_files_waiting_until_sign_in(
    qtbot, make_window, server, theta_files, monkeypatch
):
    ask = AskRecorder()  # the user presses Cancel
    monkeypatch.setattr(login_dialog, "ask", ask)
    first = sign_in(server.url)
    window = make_window(first)
    first.client.tokens.set("garbage", "garbage")

    mime = file_urls(theta_files["ok"], theta_files["warning"])
    drop(window, mime)
    qtbot.waitUntil(lambda: len(ask.calls) == 1, timeout=30_000)
    qtbot.waitUntil(
        lambda: [row.reason for row in window.model.rows] == ["waiting for sign-in"] * 2,
        timeout=5_000,
    )
    assert all(row.state is UploadState.QUEUED for row in window.model.rows)
    assert window.sign_in_button.isVisibleTo(window)
    assert window.pending_uploads() == 2
    assert server_titles(server.url) == []

    window.set_session(sign_in(server.url))  # what "Sign In…" does after a good password
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert server_titles(server.url) == sorted(theta_files[key].stem for key in ("ok", "warning"))
