"""Tile thumbnails: decoded on pool threads as QImage, delivered on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import OFFSCREEN_SIZE_HINTS, drop, file_urls
from tests.support.theta_fixtures import make_plain_jpeg, make_theta_jpeg
from thetadesk.gui import thumbnails
from thetadesk.gui.thumbnails import ThumbnailLoader


@pytest.fixture
def decode_threads(monkeypatch) -> list[threading.Thread]:
    """Record the thread each decode runs on."""
    seen: list[threading.Thread] = []
    real = thumbnails.decode_thumbnail

    def recording(path, max_side=320):
        seen.append(threading.current_thread())
        return real(path, max_side=max_side)

    monkeypatch.setattr(thumbnails, "decode_thumbnail", recording)
    return seen


def test_loader_decodes_off_the_gui_thread_and_delivers_on_it(qtbot, tmp_path, decode_threads):
    loader = ThumbnailLoader()
    path = make_theta_jpeg(tmp_path / "R0010001.JPG", width=512, height=256)
    delivered_on: list[QThread] = []
    loader.loaded.connect(lambda *_: delivered_on.append(QThread.currentThread()))
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        loader.request(path, 42)
    got_path, stamp, image = blocker.args
    assert (got_path, stamp) == (path, 42)
    assert not image.isNull()
    assert max(image.width(), image.height()) <= 320
    assert decode_threads and decode_threads[0] is not threading.main_thread()
    assert delivered_on == [QApplication.instance().thread()]
    assert loader.shutdown(5000)


def test_a_file_without_embedded_thumbnail_gets_a_reduced_decode(qtbot, tmp_path):
    loader = ThumbnailLoader(max_side=64)
    path = make_plain_jpeg(tmp_path / "export.jpg", width=640, height=320)
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        loader.request(path, 1)
    image = blocker.args[2]
    assert (image.width(), image.height()) == (64, 32)
    assert loader.shutdown(5000)


def test_an_undecodable_file_sends_nothing(qtbot, tmp_path):
    loader = ThumbnailLoader()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    with qtbot.assertNotEmitted(loader.loaded, wait=0):
        loader.request(broken, 1)
        assert loader.shutdown(5000)  # the job ran to its end
        QApplication.processEvents()  # and its outcome reached the GUI thread


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_dropped_photos_get_thumbnails_in_their_tiles(qtbot, make_window, theta_files):
    window = make_window(None)
    mime = file_urls(theta_files["ok"], theta_files["rejected"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: (
            len(window.model.rows) == 2
            and all(row.thumbnail is not None for row in window.model.rows)
        ),
        timeout=10_000,
    )
    assert all(not row.thumbnail.isNull() for row in window.model.rows)
