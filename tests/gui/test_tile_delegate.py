"""Painting tiles: every verdict and upload state draws, with its badge colour."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg
from thetadesk.core.inspection import inspect_file
from thetadesk.core.queue_store import ItemState, QueueItem, QueueStore
from thetadesk.gui.photo_grid import PhotoGrid
from thetadesk.gui.photo_model import PhotoModel, PhotoRole, PhotoRow, UploadState
from thetadesk.gui.tile_delegate import (
    STATE_BADGES,
    TILE_WIDTH,
    VERDICT_LABELS,
    TileDelegate,
    state_badge,
    state_line,
    wrapped_lines,
)


def colours_in(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    }


def item(path, state: ItemState = ItemState.READY, **fields) -> QueueItem:
    return QueueItem(id=1, server="s", username="u", path=path, state=state, **fields)


def test_grid_paints_every_verdict_badge(qtbot, tmp_path):
    model = PhotoModel()
    files = {
        "ok": make_theta_jpeg(tmp_path / "ok.jpg"),
        "warning": make_theta_jpeg(tmp_path / "w.jpg", model="RICOH THETA", gpano=False),
        "needs_review": make_plain_jpeg(tmp_path / "r.jpg"),
        "rejected": make_dualfisheye(tmp_path / "x.jpg"),
    }
    with QueueStore(":memory:") as store:
        items = {key: store.add("s", "u", path)[0] for key, path in files.items()}
        model.apply_items(store.update(i.id, state=ItemState.READY) for i in items.values())
        for verdict, path in files.items():
            inspection = inspect_file(path)
            assert inspection.verdict.value == verdict
            model.set_inspection(path, inspection)
        model.apply_items([store.update(items["ok"].id, state=ItemState.UPLOADING)])
    model.set_progress(items["ok"].id, 40, 100)
    thumb = QImage(32, 16, QImage.Format.Format_RGB32)
    thumb.fill(QColor("#123456"))
    model.set_thumbnail(files["ok"], model.row_for(files["ok"]).stamp, thumb)
    model.flush()

    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(1100, 300)
    shot = grid.grab().toImage()
    seen = colours_in(shot)
    for _label, colour in VERDICT_LABELS.values():
        assert colour.name() in seen
    assert "#123456" in seen  # the thumbnail


def test_state_lines_say_what_happened(tmp_path):
    path = make_theta_jpeg(tmp_path / "a.jpg")
    row = PhotoRow(item=item(path, ItemState.UPLOADED, photo_id=12), stamp=1)
    assert state_line(row) == "✓ Uploaded (photo 12)"
    waiting = PhotoRow(item=item(path), stamp=1, waiting="waiting for sign-in")
    assert state_line(waiting) == "Queued: waiting for sign-in"
    failed = item(path, ItemState.FAILED, reason="Too large for this server")
    assert state_line(PhotoRow(item=failed, stamp=1)) == "✗ Failed: Too large for this server"


def test_a_long_headline_wraps_to_two_lines_and_is_elided(qapp):
    font = qapp.font()
    text = "2:1 but no GPano and no THETA image type: nothing proves it is a 360° photo"
    lines = wrapped_lines(text, font, 200, 2)
    assert len(lines) == 2
    assert lines[0] and text.startswith(lines[0])
    assert lines[1].endswith("…")
    assert wrapped_lines("short", font, 200, 2) == ["short"]


def test_every_upload_state_paints_its_badge(qtbot, tmp_path):
    """Queued, checking, uploading with percent, uploaded, failed, duplicate, held, paused,
    rejected, cancelled: each tile carries its state's badge over the thumbnail."""
    path = make_theta_jpeg(tmp_path / "a.jpg")
    cases = {
        UploadState.CHECKING: dict(state=ItemState.CHECKING),
        UploadState.QUEUED: dict(state=ItemState.READY, verdict="ok"),
        UploadState.UPLOADING: dict(state=ItemState.UPLOADING, verdict="ok"),
        UploadState.UPLOADED: dict(state=ItemState.UPLOADED, verdict="ok", photo_id=3),
        UploadState.FAILED: dict(state=ItemState.FAILED, verdict="ok", reason="server said no"),
        UploadState.SKIPPED: dict(state=ItemState.SKIPPED, verdict="ok", reason="same as b"),
        UploadState.HELD: dict(state=ItemState.HELD, verdict="needs_review"),
        UploadState.PAUSED: dict(state=ItemState.PAUSED, verdict="ok"),
        UploadState.REJECTED: dict(state=ItemState.FAILED, verdict="rejected"),
        UploadState.CANCELLED: dict(state=ItemState.CANCELLED, verdict="ok"),
    }
    for expected, fields in cases.items():
        row = PhotoRow(item=item(path, **fields), stamp=1, sent=40, total=100)
        assert row.state is expected
        label, colour = state_badge(row)
        if expected is UploadState.UPLOADING:
            assert label == "↑ 40%"
        image = QImage(TILE_WIDTH, 260, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        option = QStyleOptionViewItem()
        option.rect = image.rect()
        option.palette = QApplication.palette()
        option.font = QApplication.font()
        model = SingleRow(row)
        TileDelegate().paint(painter, option, model.index(0))
        painter.end()
        assert colour.name() in colours_in(image), expected


class SingleRow(QAbstractListModel):
    def __init__(self, row: PhotoRow) -> None:
        super().__init__()
        self._row = row

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return self._row if role == PhotoRole.ROW else None


def test_a_tile_is_painted_again_when_its_row_changes_and_only_then(qtbot, tmp_path):
    """Tiles are drawn from cached pictures: a changed row gets a new one, an unchanged row
    keeps its own (and another model's row with the same stamp never gets it)."""
    path = make_theta_jpeg(tmp_path / "a.jpg")
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.resize(600, 300)
    painted: list[PhotoRow] = []
    delegate = grid.itemDelegate()
    real = delegate._paint_tile  # noqa: SLF001 - counting what is really drawn

    def counting(painter, option, row):
        painted.append(row)
        real(painter, option, row)

    delegate._paint_tile = counting  # noqa: SLF001
    with QueueStore(":memory:") as store:
        added, _ = store.add("s", "u", path)
        model = PhotoModel()
        model.apply_items([store.update(added.id, state=ItemState.READY, verdict="ok")])
        grid.setModel(model)
        queued = colours_in(grid.grab().toImage())
        assert STATE_BADGES[UploadState.QUEUED][1].name() in queued
        grid.grab()
        assert len(painted) == 1  # the second grab drew the cached picture
        model.apply_items([store.update(added.id, state=ItemState.UPLOADED, photo_id=4)])
        model.flush()
        uploaded = colours_in(grid.grab().toImage())
        assert STATE_BADGES[UploadState.UPLOADED][1].name() in uploaded
        assert len(painted) == 2
        other = PhotoModel()  # its first row has the same stamp, 1
        other.apply_items([store.update(added.id, state=ItemState.HELD, verdict="needs_review")])
        grid.setModel(other)
        held = colours_in(grid.grab().toImage())
        assert STATE_BADGES[UploadState.HELD][1].name() in held
        assert len(painted) == 3


@pytest.mark.parametrize("budget", ["a count", "a time"])
def test_one_paint_draws_a_few_new_tiles_and_the_next_frames_the_rest(
    qtbot, tmp_path, monkeypatch, budget
):
    """A big drop changes every tile on screen at once: one paint must not draw them all
    (the window would freeze for that paint), and none may be left undrawn. A frame stops
    at a count of tiles, or sooner when they took long (never before the first one)."""
    from thetadesk.gui import tile_delegate
    from thetadesk.gui.tile_delegate import TILES_PAINTED_PER_FRAME

    if budget == "a count":  # time never runs out
        monkeypatch.setattr(tile_delegate, "FRESH_TILES_BUDGET_S", 3600.0)
        per_frame = TILES_PAINTED_PER_FRAME
    else:  # time runs out after the first tile
        monkeypatch.setattr(tile_delegate, "FRESH_TILES_BUDGET_S", 0.0)
        per_frame = 1
    count = 3 * TILES_PAINTED_PER_FRAME
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.resize(8 * (TILE_WIDTH + 12), 1400)  # every tile on screen
    painted: list[int] = []
    delegate = grid.itemDelegate()
    real = delegate._paint_tile  # noqa: SLF001 - counting what is really drawn

    def counting(painter, option, row):
        painted.append(row.stamp)
        real(painter, option, row)

    delegate._paint_tile = counting  # noqa: SLF001
    with QueueStore(":memory:") as store:
        model = PhotoModel()
        for n in range(count):
            added, _ = store.add("s", "u", make_theta_jpeg(tmp_path / f"{n}.jpg", seed=n))
            model.apply_items([store.update(added.id, state=ItemState.READY, verdict="ok")])
        grid.setModel(model)
        first = colours_in(grid.grab().toImage())
        assert len(painted) == per_frame
        assert STATE_BADGES[UploadState.QUEUED][1].name() in first
        grid.show()
        qtbot.waitUntil(lambda: len(set(painted)) == count, timeout=10_000)
        settled = len(painted)
        grid.grab()
        assert len(painted) == settled  # every tile now drawn from its cached picture


def settled_screen(qtbot, grid: PhotoGrid) -> QImage:
    """What the window shows once its paints have stopped (the same picture three looks in
    a row), read from the platform's backing store rather than painted again."""
    looks: list[QImage] = []

    def still() -> bool:
        looks.append(grid.screen().grabWindow(grid.winId()).toImage())
        return len(looks) >= 3 and looks[-1] == looks[-2] == looks[-3]

    qtbot.waitUntil(still, timeout=10_000)
    return looks[-1]


def test_a_scroll_before_the_next_frame_leaves_no_stale_tile(qtbot, tmp_path):
    """Tiles left for the next frame show their previous picture meanwhile. If the view
    scrolls before that frame, the scroll moves those pictures elsewhere: the next frame must
    still repaint them wherever they are now (a review saw half-old, half-new tiles)."""
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.resize(4 * (TILE_WIDTH + 12) + 30, 700)
    with QueueStore(":memory:") as store:
        model = PhotoModel()
        items = [store.add("s", "u", tmp_path / f"{n}.jpg")[0] for n in range(80)]
        model.apply_items([store.update(i.id, state=ItemState.READY, verdict="ok") for i in items])
        model.flush()
        grid.setModel(model)
        grid.show()
        qtbot.waitExposed(grid)
        grid.verticalScrollBar().setValue(200)
        settled_screen(qtbot, grid)
        grid.selectAll()  # every tile on screen changes its look at once
        grid.viewport().repaint()  # this frame: a few fresh tiles, the rest deferred
        grid.verticalScrollBar().setValue(grid.verticalScrollBar().value() + 60)
        shown = settled_screen(qtbot, grid)
        grid.viewport().update()  # everything painted again: what it should show
        truth = settled_screen(qtbot, grid)
        stale = sum(
            shown.pixel(x, y) != truth.pixel(x, y)
            for x in range(0, shown.width(), 3)
            for y in range(0, shown.height(), 3)
        )
        assert stale == 0
