"""Tile thumbnails: decoded on pool threads as QImage, delivered on the GUI thread."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, QThread
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import OFFSCREEN_SIZE_HINTS, drop, file_urls
from tests.support.theta_fixtures import make_plain_jpeg, make_theta_jpeg
from thetadesk.gui import thumbnails
from thetadesk.gui.photo_model import PhotoRole
from thetadesk.gui.thumbnails import BATCH, Thumbnail, ThumbnailLoader


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
    [thumbnail] = blocker.args[0]
    assert (thumbnail.path, thumbnail.stamp, thumbnail.sharp) == (path, 42, False)
    assert not thumbnail.image.isNull()
    assert max(thumbnail.image.width(), thumbnail.image.height()) <= 320
    assert decode_threads and decode_threads[0] is not threading.main_thread()
    assert delivered_on == [QApplication.instance().thread()]
    assert loader.shutdown(5000)


def test_many_requests_come_back_in_a_few_batches(qtbot, tmp_path):
    loader = ThumbnailLoader()
    paths = [make_theta_jpeg(tmp_path / f"R{n:07d}.JPG", seed=n) for n in range(3 * BATCH)]
    batches: list[list[Thumbnail]] = []
    loader.loaded.connect(batches.append)
    for stamp, path in enumerate(paths):
        loader.request(path, stamp)
    qtbot.waitUntil(lambda: sum(map(len, batches)) == len(paths), timeout=10_000)
    assert len(batches) <= 3  # one delivery per batch of BATCH, not one per file
    assert sorted(t.stamp for batch in batches for t in batch) == list(range(len(paths)))
    assert loader.shutdown(5000)


def test_a_file_without_embedded_thumbnail_gets_a_reduced_decode(qtbot, tmp_path):
    loader = ThumbnailLoader(max_side=64)
    path = make_plain_jpeg(tmp_path / "export.jpg", width=640, height=320)
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        loader.request(path, 1)
    image = blocker.args[0][0].image
    assert (image.width(), image.height()) == (64, 32)
    assert loader.shutdown(5000)


def test_an_undecodable_file_sends_nothing(qtbot, tmp_path):
    loader = ThumbnailLoader()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    with qtbot.assertNotEmitted(loader.loaded, wait=0):
        loader.request(broken, 1)
        loader._start_pending()  # noqa: SLF001 - start the batch now, not at the next turn
        assert loader.shutdown(5000)  # the job ran to its end
        QApplication.processEvents()  # and its outcome reached the GUI thread


def test_a_sharp_decode_is_scaled_by_the_decoder_and_never_enlarges(tmp_path):
    big = make_theta_jpeg(tmp_path / "big.JPG", width=1024, height=512)
    picture = thumbnails.decode_sharp(big, QSize(216, 112))
    assert (picture.width(), picture.height()) == (216, 108)
    assert picture.image().size() == QSize(216, 108)
    small = make_theta_jpeg(tmp_path / "small.JPG", width=64, height=32)
    assert thumbnails.decode_sharp(small, QSize(216, 112)) is None  # the EXIF one will do


def test_sharp_requests_for_tiles_scrolled_away_are_dropped(qtbot, tmp_path, monkeypatch):
    """One pool thread, busy with the first job; the tiles then leave the screen: every job
    skips the rows no longer shown (the started one, and those still queued)."""
    loader = ThumbnailLoader()
    loader.pool.setMaxThreadCount(1)
    gate, entered = threading.Event(), threading.Event()
    decoded: list[Path] = []

    def slow(path, size):
        entered.set()
        gate.wait(10)
        decoded.append(path)
        return QImage(8, 4, QImage.Format.Format_RGB32)

    monkeypatch.setattr(thumbnails, "decode_sharp", slow)
    paths = [tmp_path / f"R{n:07d}.JPG" for n in range(12)]
    loader.keep_sharp(range(12))
    assert loader.request_sharp(((p, n) for n, p in enumerate(paths)), QSize(216, 112)) == 12
    assert entered.wait(5)  # the first job is decoding its first row
    loader.keep_sharp([0])  # scrolled: only the first tile is still on screen
    gate.set()
    assert loader.pool.waitForDone(5000)
    assert decoded == [paths[0]]  # the others were dropped before they were decoded
    # Asked again once back on screen (they were forgotten when they left it).
    loader.keep_sharp([5])
    assert loader.request_sharp([(paths[5], 5)], QSize(216, 112)) == 1
    # Never for a tile that is not on screen.
    assert loader.request_sharp([(paths[6], 6)], QSize(216, 112)) == 0
    assert loader.shutdown(5000)
    assert loader.request_sharp([(paths[5], 5)], QSize(432, 224)) == 0  # no work after it
    loader.request(paths[5], 5)
    assert loader.shutdown(5000)


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


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_the_exif_thumbnail_shows_first_then_a_sharp_one_for_tiles_on_screen_only(
    qtbot, make_window, tmp_path, monkeypatch
):
    """40 photos larger than their 32×16 EXIF thumbnail: every tile gets the EXIF one, and
    only the tiles on screen get the sharper decode of the photo itself."""
    sharp_paths: list[Path] = []
    real = thumbnails.decode_sharp

    def recording(path, size):
        sharp_paths.append(Path(path))
        return real(path, size)

    monkeypatch.setattr(thumbnails, "decode_sharp", recording)
    folder = tmp_path / "roll"
    folder.mkdir()
    paths = [
        make_theta_jpeg(folder / f"R{n:07d}.JPG", width=640, height=320, seed=n) for n in range(40)
    ]
    window = make_window(None)
    firsts: dict[Path, tuple[bool, int]] = {}

    def note_first(batch: list[Thumbnail]) -> None:
        for thumbnail in batch:
            firsts.setdefault(thumbnail.path, (thumbnail.sharp, thumbnail.image.width()))

    window.thumbnails.loaded.connect(note_first)
    mime = file_urls(folder)
    drop(window, mime)

    def on_screen() -> set[Path]:
        return {Path(index.data(PhotoRole.PATH)) for index in window.grid.visible_indexes()}

    def settled() -> bool:
        rows = window.model.rows
        return (
            len(rows) == 40
            and all(row.thumbnail is not None for row in rows)
            and bool(on_screen())
            and all(row.sharp for row in rows if row.path in on_screen())
        )

    qtbot.waitUntil(settled, timeout=20_000)
    visible = on_screen()
    assert 0 < len(visible) < 20  # the window shows a few tiles, not all 40
    assert set(firsts) == set(paths)
    assert all(firsts[p] == (False, 32) for p in paths)  # the EXIF thumbnail came first
    assert visible <= {row.path for row in window.model.rows if row.sharp}
    assert all(row.thumbnail.width() > 32 for row in window.model.rows if row.sharp)
    # Only tiles that were on screen were decoded again: while the grid filled, the tiles
    # on screen could change as it laid itself out (a scroll bar appearing), but the rows
    # far below never were on screen, so never decoded.
    assert set(sharp_paths) >= visible
    assert not set(sharp_paths) & set(paths[20:])


def test_finished_sharp_jobs_are_freed(qtbot, tmp_path, monkeypatch):
    """Every scroll stop asks for sharp decodes: their jobs must not outlive their work."""
    monkeypatch.setattr(thumbnails, "decode_sharp", lambda path, size: QImage())
    loader = ThumbnailLoader()
    jobs: list[weakref.ref] = []
    real_batch = thumbnails._Batch

    def tracked(*args, **kwargs):  # type: ignore[no-untyped-def]
        job = real_batch(*args, **kwargs)
        jobs.append(weakref.ref(job))
        return job

    monkeypatch.setattr(thumbnails, "_Batch", tracked)
    for n in range(20):
        stamps = range(8 * n, 8 * n + 8)
        loader.keep_sharp(stamps)
        loader.request_sharp(((tmp_path / f"{s}.jpg", s) for s in stamps), QSize(432, 224))
        assert loader.pool.waitForDone(5000)
        QApplication.processEvents()
    gc.collect()
    assert len(jobs) == 40
    assert [ref for ref in jobs if ref() is not None] == []
    assert loader.shutdown(5000)


@pytest.mark.qt_log_ignore("Corrupt JPEG data", "JPEG datastream contains no image")
def test_a_row_keeps_its_thumbnail_as_jpeg_and_the_tile_decodes_it(qtbot, tmp_path):
    """A THETA's 320×160 thumbnail is 200 KB decoded: thousands of rows keep it as its
    ~15 KB JPEG, and the tile decodes it when it paints it."""
    path = make_theta_jpeg(tmp_path / "R0010001.JPG", thumbnail=(320, 160))
    picture = thumbnails.decode_thumbnail(path)
    assert isinstance(picture, thumbnails.Picture)
    assert (picture.width(), picture.height()) == (320, 160)
    assert len(picture.data) < 320 * 160 * 4 // 5
    image = thumbnails.as_image(picture)
    assert image.size() == QSize(320, 160) and not image.isNull()
    assert thumbnails.as_image(picture) is image  # decoded once while it is painted again
    broken = thumbnails.Picture(b"\xff\xd8 not a jpeg", 320, 160)
    assert thumbnails.as_image(broken).isNull()  # the tile shows its placeholder
