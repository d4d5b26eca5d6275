"""The window runs the engine's persistent queue: it survives a restart; "Remember me"
resumes the session at start through the keychain."""

from __future__ import annotations

import pytest

from tests.gui.helpers import (
    DEMO_USER,
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    server_titles,
    sign_in,
)
from tests.support.keychain import MemoryKeychain
from thetadesk.core.credentials import SERVICE, CredentialStore, account_key
from thetadesk.core.paths import AppPaths
from thetadesk.core.runner_lock import RunnerLock
from thetadesk.gui import login_dialog
from thetadesk.gui.photo_model import UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def test_files_queued_when_the_window_quits_are_all_there_at_the_next_start(
    qtbot, make_window, server, theta_files
):
    # First run: signed out, so the uploadable files are checked and then wait.
    first = make_window(None, server_url=server.url, username=DEMO_USER)
    keys = ("ok", "warning", "needs_review", "rejected")
    mime = file_urls(*(theta_files[key] for key in keys))
    drop(first, mime)
    qtbot.waitUntil(
        lambda: (
            len(first.model.rows) == 4
            and all(row.state is not UploadState.CHECKING for row in first.model.rows)
        ),
        timeout=30_000,
    )
    before = {row.path: row.state for row in first.model.rows}
    assert before[theta_files["ok"]] is UploadState.QUEUED
    assert before[theta_files["needs_review"]] is UploadState.HELD
    first.close()
    assert first.worker_stopped is True

    # Second run, same data folder, signed in: the rows are there before any event, then the
    # waiting ones go up.
    second = make_window(sign_in(server.url))
    assert {row.path: row.state for row in second.model.rows} == before
    assert all(row.inspection is not None or row.verdict for row in second.model.rows)
    qtbot.waitUntil(lambda: all_final(second, 4), timeout=30_000)
    states = {row.path: row.state for row in second.model.rows}
    assert states[theta_files["ok"]] is UploadState.UPLOADED
    assert states[theta_files["warning"]] is UploadState.UPLOADED
    assert states[theta_files["needs_review"]] is UploadState.HELD
    assert states[theta_files["rejected"]] is UploadState.REJECTED
    assert server_titles(server.url) == sorted(theta_files[k].stem for k in ("ok", "warning"))
    # The verdict details come back too (read again from the files, off the GUI thread).
    qtbot.waitUntil(lambda: all(r.inspection for r in second.model.rows), timeout=10_000)


def test_remember_me_resumes_the_session_at_the_next_start_and_follows_rotation(
    qtbot, make_window, server, theta_files, monkeypatch
):
    def no_dialog(*args, **kwargs):
        raise AssertionError("the remembered session should not ask")

    monkeypatch.setattr(login_dialog, "ask", no_dialog)
    keychain = MemoryKeychain()
    credentials = CredentialStore(keychain)
    session = sign_in(server.url)
    first = make_window(session, credentials=credentials)
    key = (SERVICE, account_key(session.client.base_url, DEMO_USER))
    assert keychain.entries[key] == session.client.tokens.refresh_token
    assert not first.credentials.memory_only
    first.close()

    second = make_window(None, server_url=server.url, username=DEMO_USER, credentials=credentials)
    assert second.session is not None
    assert "Signed in as <b>tutorial</b>" in second.account_label.text()
    remembered = keychain.entries[key]
    mime = file_urls(theta_files["ok"])
    drop(second, mime)
    qtbot.waitUntil(lambda: all_final(second, 1), timeout=30_000)
    assert second.model.rows[0].state is UploadState.UPLOADED
    # The server rotates refresh tokens: the keychain holds the new one, not the used one.
    assert keychain.entries[key] == second.session.client.tokens.refresh_token
    assert keychain.entries[key] != remembered


def test_without_a_secure_keychain_the_user_is_told_the_session_is_not_kept(
    qtbot, make_window, server
):
    window = make_window(sign_in(server.url))  # the test run's keyring backend is null
    assert window.credentials.memory_only
    assert "No secure keychain" in window.statusBar().currentMessage()


def test_a_revoked_remembered_session_asks_to_sign_in_again(
    qtbot, make_window, server, monkeypatch
):
    keychain = MemoryKeychain()
    credentials = CredentialStore(keychain)
    credentials.save(server.url + "/", DEMO_USER, "not-a-valid-refresh-token")
    calls: list[dict] = []

    def ask(parent=None, **kwargs):
        calls.append(kwargs)
        return sign_in(server.url)

    monkeypatch.setattr(login_dialog, "ask", ask)
    window = make_window(None, server_url=server.url, username=DEMO_USER, credentials=credentials)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=15_000)
    assert "Sign-in needed" in calls[0]["message"]
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    assert "Signed in as" in window.account_label.text()


def test_while_the_cli_runs_the_queue_the_window_says_so_and_takes_over_after(
    qtbot, make_window, server, theta_files
):
    """`thetadesk upload` holds the queue's runner lock while it works: the window waits."""
    paths = AppPaths.default().ensure()
    cli = RunnerLock(f"{paths.queue_db}.lock")  # where the engine takes it
    cli.acquire()
    try:
        window = make_window(sign_in(server.url))
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
        assert "Another thetadesk is uploading this queue" in window.banner.text.text()
        mime = file_urls(theta_files["ok"])
        drop(window, mime)  # added to the same queue file meanwhile
        qtbot.waitUntil(lambda: len(window.model.rows) == 1, timeout=10_000)
    finally:
        cli.release()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    assert server_titles(server.url) == [theta_files["ok"].stem]
