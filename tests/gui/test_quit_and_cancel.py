"""Stopping uploads: Cancel Uploads, and closing the window in the middle of an upload."""

from __future__ import annotations

import time

import pytest

from tests.gui.helpers import (
    OFFSCREEN_SIZE_HINTS,
    all_final,
    copied_a_while_ago,
    drop,
    file_urls,
    server_titles,
    sign_in,
)
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import EngineSettings
from thetadesk.gui.photo_model import UploadState

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)

CHUNK_DELAY = 0.4  # seconds per body chunk: a slow network, simulated on the worker thread


@pytest.fixture
def slow_network(monkeypatch):
    """Make every upload crawl, so a test can act while one is under way."""
    real_upload = Image360Client.upload_photo

    def slow_upload(self, path, fields, *, on_progress=None, **kwargs):
        def progress(sent: int, total: int) -> None:
            if on_progress is not None:
                on_progress(sent, total)
            time.sleep(CHUNK_DELAY)  # not synchronisation: the link is slow

        return real_upload(self, path, fields, on_progress=progress, **kwargs)

    monkeypatch.setattr(Image360Client, "upload_photo", slow_upload)


@pytest.fixture
def big_photo(tmp_path):
    """Large enough to go up in several body chunks (a chunk is 16 KiB)."""
    path = make_theta_jpeg(tmp_path / "R0030001.JPG", width=4096, height=2048, seed=7)
    copied_a_while_ago(path)
    assert path.stat().st_size > 4 * 16 * 1024
    return path


def uploading(window, path) -> bool:
    # By path, not by position: the model sorts rows by name, so the big photo (dropped
    # first, sent first) is not necessarily row 0.
    row = window.model.row_for(path)
    return row is not None and row.state is UploadState.UPLOADING and row.progress > 0


def test_closing_the_window_mid_upload_stops_the_worker_thread_cleanly(
    qtbot, make_window, server, theta_files, big_photo, slow_network
):
    window = make_window(sign_in(server.url), engine_settings=EngineSettings(parallel=1))
    mime = file_urls(big_photo, theta_files["warning"])
    drop(window, mime)
    qtbot.waitUntil(lambda: uploading(window, big_photo), timeout=30_000)

    thread = window.upload_thread
    started = time.monotonic()
    window.close()
    elapsed = time.monotonic() - started

    assert window.worker_stopped is True
    assert thread.isFinished()
    assert thread.wait(1000)
    assert elapsed < 5, f"closing took {elapsed:.1f} s"
    # The upload was cut between chunks, so the server never got a complete photo.
    assert server_titles(server.url) == []


def test_cancel_uploads_cancels_what_is_queued_but_not_later_drops(
    qtbot, make_window, server, theta_files, big_photo, slow_network
):
    # One upload at a time, as before the engine: the second file is still queued.
    window = make_window(sign_in(server.url), engine_settings=EngineSettings(parallel=1))
    first = file_urls(big_photo, theta_files["warning"])
    drop(window, first)
    qtbot.waitUntil(lambda: uploading(window, big_photo), timeout=30_000)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert [row.state for row in window.model.rows] == [UploadState.CANCELLED] * 2

    later = file_urls(theta_files["folder_ok_1"])
    drop(window, later)
    qtbot.waitUntil(lambda: all_final(window, 3), timeout=30_000)
    assert window.model.row_for(theta_files["folder_ok_1"]).state is UploadState.UPLOADED
    assert server_titles(server.url) == [theta_files["folder_ok_1"].stem]
