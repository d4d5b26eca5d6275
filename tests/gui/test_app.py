"""Starting the app: direct sign-in from the environment, else the login dialog."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.gui.helpers import DEMO_PASSWORD, DEMO_USER, OFFSCREEN_SIZE_HINTS, sign_in
from thetadesk.gui import app, login_dialog
from thetadesk.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


@pytest.fixture
def open_window(qtbot):
    """app.open_main_window, with each window closed (worker stopped) at the end."""
    windows: list[MainWindow] = []

    def open_(argv: list[str]) -> MainWindow:
        args, _ = app.parse_args(argv)
        window = app.open_main_window(args)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        assert window.shutdown(10_000)


@pytest.fixture
def ask_calls(monkeypatch) -> list[dict]:
    calls: list[dict] = []

    def ask(parent=None, **kwargs):
        calls.append(kwargs)
        return None  # Cancel

    monkeypatch.setattr(login_dialog, "ask", ask)
    return calls


def test_password_in_the_environment_signs_in_without_the_dialog(
    open_window, live_server, ask_calls, monkeypatch
):
    monkeypatch.setenv(app.PASSWORD_ENV, DEMO_PASSWORD)
    window = open_window(["--server", live_server.url, "--username", DEMO_USER])
    assert ask_calls == []
    assert window.session is not None
    assert window.session.client.tokens.signed_in
    assert f"Signed in as <b>{DEMO_USER}</b> on {live_server.url}" in window.account_label.text()
    assert not window.sign_in_button.isVisibleTo(window)


def test_a_wrong_password_in_the_environment_falls_back_to_the_dialog(
    open_window, live_server, ask_calls, monkeypatch
):
    monkeypatch.setenv(app.PASSWORD_ENV, "wrong")
    window = open_window(["--server", live_server.url, "--username", DEMO_USER])
    assert len(ask_calls) == 1
    assert ask_calls[0]["server_url"] == live_server.url
    assert "No active account found" in ask_calls[0]["message"]
    assert window.session is None  # cancelled: the window opens signed out


def test_without_a_password_the_dialog_asks_and_its_session_is_used(
    open_window, live_server, monkeypatch
):
    monkeypatch.delenv(app.PASSWORD_ENV, raising=False)
    calls: list[dict] = []

    def ask(parent=None, **kwargs):
        calls.append(kwargs)
        return sign_in(live_server.url)

    monkeypatch.setattr(login_dialog, "ask", ask)
    window = open_window(["--username", DEMO_USER])
    assert len(calls) == 1
    asked = {key: calls[0][key] for key in ("server_url", "username", "message")}
    assert asked == {"server_url": app.DEFAULT_SERVER, "username": DEMO_USER, "message": ""}
    assert window.session is not None
    assert "Signed in as" in window.account_label.text()


def test_python_dash_m_thetadesk_gui_answers_help():
    result = subprocess.run(
        [sys.executable, "-m", "thetadesk.gui", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--server" in result.stdout and "--username" in result.stdout
