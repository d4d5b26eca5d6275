"""Fix metadata into a copy, from the window: a folder is asked for, the original is never
touched, the corrected copy (which inspects as ok) is queued in the original's place."""

from __future__ import annotations

import hashlib

import pytest

from tests.gui.helpers import (
    DEMO_USER,
    OFFSCREEN_SIZE_HINTS,
    all_final,
    copied_a_while_ago,
    drop,
    file_urls,
    select,
    server_titles,
    sign_in,
    state_of,
)
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.gui import desktop
from thetadesk.gui.photo_model import UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fix_into_a_copy_queues_the_copy_instead_and_leaves_the_original_alone(
    qtbot, make_window, server, tmp_path, theta_files, monkeypatch
):
    (tmp_path / "in").mkdir()
    original = make_theta_jpeg(tmp_path / "in" / "R0050001.JPG", gpano=False, seed=21)
    copied_a_while_ago(original)
    before = digest(original)
    fixed_folder = tmp_path / "fixed"
    fixed_folder.mkdir()
    asked: list[str] = []

    def ask_folder(parent, title, start=None):
        asked.append(title)
        return fixed_folder

    monkeypatch.setattr(desktop, "ask_folder", ask_folder)
    window = make_window(None, server_url=server.url, username=DEMO_USER)
    mime = file_urls(original, theta_files["ok"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: (
            [state_of(window, p) for p in (original, theta_files["ok"])] == [UploadState.QUEUED] * 2
        ),
        timeout=30_000,
    )
    assert window.model.row_for(original).verdict == "warning"

    select(window, theta_files["ok"])  # already correct: nothing to fix
    assert not window.act_fix_metadata.isEnabled()
    select(window, original)
    assert window.act_fix_metadata.isEnabled()
    window.act_fix_metadata.trigger()
    assert asked and "R0050001.JPG" in asked[0]

    copy = fixed_folder / "R0050001_fixed.jpg"
    qtbot.waitUntil(
        lambda: state_of(window, copy) is UploadState.QUEUED and state_of(window, original) is None,
        timeout=30_000,
    )
    assert window.model.row_for(copy).verdict == "ok"
    assert digest(original) == before  # never touched
    assert "queued" in window.statusBar().currentMessage()

    window.set_session(sign_in(server.url))
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert server_titles(server.url) == sorted([theta_files["ok"].stem, "R0050001_fixed"])


def test_a_file_that_cannot_be_fixed_says_why(qtbot, make_window, theta_files):
    window = make_window(None)
    mime = file_urls(theta_files["rejected"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: state_of(window, theta_files["rejected"]) is UploadState.REJECTED,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: window.model.rows[0].inspection is not None, timeout=10_000)
    select(window, theta_files["rejected"])
    assert not window.act_fix_metadata.isEnabled()
    window.fix_metadata_into_copy()  # e.g. from the menu before the selection updated it
    assert "Cannot fix" in window.statusBar().currentMessage()
