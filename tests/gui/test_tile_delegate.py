"""Painting tiles: every verdict and upload state draws, with its badge colour."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage

from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg
from thetadesk.core.inspection import inspect_file
from thetadesk.core.queue_store import ItemState, QueueItem, QueueStore
from thetadesk.gui.photo_grid import PhotoGrid
from thetadesk.gui.photo_model import PhotoModel, PhotoRow
from thetadesk.gui.tile_delegate import VERDICT_LABELS, state_line, wrapped_lines


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
