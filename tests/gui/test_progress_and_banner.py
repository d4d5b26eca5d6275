"""Overall progress (bytes, speed, time left), the banner that says why the queue waits,
pause and resume all."""

from __future__ import annotations

import time

import pytest

from tests.gui.helpers import (
    DEMO_PASSWORD,
    DEMO_USER,
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    server_titles,
    state_of,
)
from tests.support.fault_proxy import FaultProxy
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import Backoff, EngineSettings, QueueStatus, StatusChanged
from thetadesk.core.queue_store import ItemState, QueueItem
from thetadesk.gui.banner import banner_text
from thetadesk.gui.login_dialog import Session
from thetadesk.gui.photo_model import PhotoRow, UploadState
from thetadesk.gui.transfer import TransferMeter, format_bytes, format_duration

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)

MB = 1_000_000


def row(item_id: int, state: ItemState, size: int, sent: int = 0) -> PhotoRow:
    item = QueueItem(
        id=item_id, server="s", username="u", path=f"/p/{item_id}.jpg", state=state, size=size
    )
    return PhotoRow(item=item, stamp=item_id, sent=sent, total=size)


def test_the_meter_counts_bytes_speed_and_time_left_over_one_batch():
    clock = [100.0]
    meter = TransferMeter(clock=lambda: clock[0])
    assert not meter.update([]).active
    rows = [row(1, ItemState.UPLOADING, 10 * MB), row(2, ItemState.READY, 10 * MB)]
    first = meter.update(rows)
    assert first.active and (first.files_done, first.files_total) == (0, 2)
    assert first.bytes_total == 20 * MB and first.speed is None
    clock[0] += 2
    second = meter.update([row(1, ItemState.UPLOADING, 10 * MB, sent=4 * MB), rows[1]])
    assert second.bytes_done == 4 * MB
    assert second.speed == pytest.approx(2 * MB)
    assert second.seconds_left == pytest.approx(8)
    assert second.describe() == "0 of 2 photos · 4.0 of 20.0 MB · 2.0 MB/s · about 8 s left"
    clock[0] += 3
    third = meter.update(
        [row(1, ItemState.UPLOADED, 10 * MB), row(2, ItemState.UPLOADING, 10 * MB, sent=0)]
    )
    assert (third.files_done, third.bytes_done) == (1, 10 * MB)  # the done file still counts
    assert third.fraction == pytest.approx(0.5)
    # All sent: the batch is over, the bar goes away.
    done = [row(1, ItemState.UPLOADED, 10 * MB), row(2, ItemState.UPLOADED, 10 * MB)]
    assert not meter.update(done).active


def test_byte_and_duration_wording():
    assert format_bytes(1_234_567) == "1.2 MB"
    assert format_bytes(640_000) == "640.0 KB"
    assert format_bytes(12) == "12 B"
    assert format_duration(75) == "1 min 15 s"
    assert format_duration(7300) == "2 h 01 min"


def test_banner_sentences_say_why_the_queue_waits():
    now = 1000.0
    offline = StatusChanged(
        QueueStatus.WAITING_FOR_SERVER,
        "Cannot reach http://x/ (ConnectionRefusedError)",
        1012,
        offline=True,
    )
    assert banner_text(offline, now=lambda: now) == (
        "Offline: Cannot reach http://x/ (ConnectionRefusedError). Retrying in 12 s."
    )
    busy = StatusChanged(QueueStatus.WAITING_FOR_SERVER, "Too many requests", 1030, offline=False)
    assert banner_text(busy, now=lambda: now).startswith("The server is busy")
    sign_in = StatusChanged(QueueStatus.SIGN_IN_NEEDED, "Sign-in needed: the session expired.")
    assert "Sign-in needed (the session expired)" in banner_text(sign_in)
    assert banner_text(StatusChanged(QueueStatus.PAUSED, "paused")) == "Uploads are paused."
    assert banner_text(StatusChanged(QueueStatus.RUNNING)) == ""


@pytest.fixture
def proxy(server):
    with FaultProxy(server.url) as proxy:
        yield proxy


def through(proxy: FaultProxy) -> Session:
    client = Image360Client(proxy.url)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    return Session(client, DEMO_USER)


# A long wait after the first failure, so only "Retry Now" can end it within the test.
SLOW_RETRY = EngineSettings(backoff=Backoff(initial=60, maximum=60, jitter=0))


def test_the_banner_appears_when_the_server_goes_away_and_clears_when_it_is_back(
    qtbot, make_window, server, proxy, theta_files
):
    window = make_window(through(proxy), engine_settings=SLOW_RETRY)
    proxy.down = True
    mime = file_urls(theta_files["ok"], theta_files["warning"])
    drop(window, mime)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30_000)
    assert window.queue_status.status is QueueStatus.WAITING_FOR_SERVER
    text = window.banner.text.text()
    assert text.startswith("Offline:") and "Retrying in" in text, text
    assert window.banner.retry_button.isVisible()
    assert not window.banner.sign_in_button.isVisible()
    qtbot.waitUntil(
        lambda: (
            {state_of(window, theta_files[k]) for k in ("ok", "warning")} == {UploadState.QUEUED}
        ),
        timeout=10_000,
    )
    assert window.model.row_for(theta_files["ok"]).reason == "waiting for the server"

    proxy.down = False
    started = time.monotonic()
    window.banner.retry_button.click()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert time.monotonic() - started < 30, "Retry Now did not cut the 60 s wait short"
    assert server_titles(server.url) == sorted(theta_files[k].stem for k in ("ok", "warning"))


def test_pause_all_holds_every_upload_and_resume_sends_them(
    qtbot, make_window, server, proxy, theta_files
):
    window = make_window(through(proxy))
    window.pause_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert window.banner.text.text() == "Uploads are paused."
    assert window.pause_button.text() == "Resume All"
    mime = file_urls(theta_files["ok"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: state_of(window, theta_files["ok"]) is UploadState.CHECKING, timeout=10_000
    )
    assert window.wait_for_commands()
    # Paused: not even checked, nothing reaches the server.
    assert proxy.counts["requests"] == 0 or server_titles(server.url) == []
    window.banner.resume_button.click()
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    assert not window.banner.isVisible()
    assert window.pause_button.text() == "Pause All"
    assert server_titles(server.url) == [theta_files["ok"].stem]
