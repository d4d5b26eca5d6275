"""The queue model: qtmodeltester, rows from queue items, batched updates, stale thumbnails,
the status filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg
from thetadesk.core.inspection import inspect_file
from thetadesk.core.queue_store import ItemState, QueueItem, QueueStore
from thetadesk.gui.photo_model import (
    PhotoFilterModel,
    PhotoModel,
    PhotoRole,
    StatusFilter,
    UploadState,
)

SERVER, USER = "http://127.0.0.1:8765/", "tutorial"


def small_image() -> QImage:
    image = QImage(16, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    return image


@pytest.fixture
def store():
    with QueueStore(":memory:") as store:
        yield store


def queued(store: QueueStore, path: Path) -> QueueItem:
    item, _ = store.add(SERVER, USER, path)
    return item


def moved(store: QueueStore, item: QueueItem, state: ItemState, **changes) -> QueueItem:
    updated = store.update(item.id, state=state, **changes)
    assert updated is not None
    return updated


def test_model_passes_qtmodeltester_while_rows_are_added_updated_and_removed(
    qtmodeltester, tmp_path, store
):
    model = PhotoModel()
    qtmodeltester.check(model)  # empty
    ok = make_theta_jpeg(tmp_path / "ok.jpg")
    rejected = make_dualfisheye(tmp_path / "fisheye.jpg")
    ok_item, rejected_item = queued(store, ok), queued(store, rejected)
    model.apply_items([ok_item, rejected_item])
    model.set_inspection(ok, inspect_file(ok))
    model.set_inspection(rejected, inspect_file(rejected))
    model.apply_items(
        [
            moved(store, ok_item, ItemState.UPLOADING),
            moved(store, rejected_item, ItemState.FAILED, verdict="rejected", reason="fisheye"),
        ]
    )
    model.set_progress(ok_item.id, 50, 100)
    model.set_thumbnail(ok, model.row_for(ok).stamp, small_image())
    model.set_waiting("waiting for sign-in")
    model.flush()
    qtmodeltester.check(model, force_py=True)
    model.remove_ids([ok_item.id])
    qtmodeltester.check(model, force_py=True)


def test_model_passes_qtmodeltester_through_a_reset(qtmodeltester, tmp_path, store):
    """Another account's queue, or the queue file read again, replaces every row."""
    model = PhotoModel()
    model.apply_items([queued(store, make_theta_jpeg(tmp_path / "a.jpg"))])
    qtmodeltester.check(model, force_py=True)  # stays connected: checks the reset too
    more = [queued(store, make_theta_jpeg(tmp_path / f"{n}.jpg", seed=n)) for n in range(3)]
    model.reset_items(more)
    assert [row.item_id for row in model.rows] == [item.id for item in more]


def test_the_filter_proxy_passes_qtmodeltester_and_follows_state_changes(
    qtmodeltester, tmp_path, store
):
    model = PhotoModel()
    proxy = PhotoFilterModel()
    proxy.setSourceModel(model)
    items = [queued(store, make_theta_jpeg(tmp_path / f"{n}.jpg", seed=n)) for n in range(4)]
    model.apply_items(items)
    model.apply_items(
        [
            moved(store, items[0], ItemState.UPLOADED, photo_id=1),
            moved(store, items[1], ItemState.FAILED, reason="server said no"),
            moved(store, items[2], ItemState.HELD, verdict="needs_review"),
        ]
    )
    model.flush()
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_status_filter(StatusFilter.FAILED)
    assert [proxy.index(r, 0).data(PhotoRole.ITEM_ID) for r in range(proxy.rowCount())] == [
        items[1].id
    ]
    proxy.set_status_filter(StatusFilter.WAITING)
    assert proxy.rowCount() == 1  # the one still queued for checking
    # A held file that is approved leaves the "Held" filter by itself.
    proxy.set_status_filter(StatusFilter.HELD)
    assert proxy.rowCount() == 1
    model.apply_items([moved(store, items[2], ItemState.READY, allow_review=True)])
    model.flush()
    assert proxy.rowCount() == 0
    qtmodeltester.check(proxy, force_py=True)


def test_roles_expose_the_row(tmp_path, store):
    model = PhotoModel()
    path = make_dualfisheye(tmp_path / "R0010001.JPG")
    inspection = inspect_file(path)
    item = queued(store, path)
    model.apply_items([item])
    model.set_inspection(path, inspection)
    reason = "; ".join(inspection.reasons)
    model.apply_items([moved(store, item, ItemState.FAILED, verdict="rejected", reason=reason)])
    index = model.index(0)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "R0010001.JPG"
    assert index.data(PhotoRole.VERDICT) == "rejected"
    assert index.data(PhotoRole.HEADLINE) == inspection.reasons[0]
    assert index.data(PhotoRole.STATE) == "rejected"
    assert index.data(PhotoRole.PATH) == str(path)
    assert index.data(PhotoRole.ITEM_ID) == item.id
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert all(reason in tooltip for reason in inspection.reasons)
    assert "rejected" in tooltip
    assert model.roleNames()[PhotoRole.VERDICT] == b"verdict"


def test_an_item_shown_twice_is_one_row_and_older_snapshots_are_ignored(tmp_path, store):
    model = PhotoModel()
    a = queued(store, make_theta_jpeg(tmp_path / "a.jpg"))
    b = queued(store, make_theta_jpeg(tmp_path / "b.jpg"))
    assert [row.item_id for row in model.apply_items([a, a, b])] == [a.id, b.id]
    assert model.apply_items([b, a]) == []
    assert model.rowCount() == 2
    newer = moved(store, a, ItemState.UPLOADED, photo_id=9)
    model.apply_items([newer, a])  # `a` is the older snapshot: it must not undo the upload
    assert model.row_by_id(a.id).state is UploadState.UPLOADED


class CountingFilter(PhotoFilterModel):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def filterAcceptsRow(self, source_row, source_parent) -> bool:  # noqa: N802 - Qt name
        self.asked += 1
        return super().filterAcceptsRow(source_row, source_parent)


def test_under_all_state_changes_do_not_refilter_and_other_filters_still_follow(
    qtmodeltester, tmp_path, store
):
    """A big drop changes the state of every row many times: under "All" (which keeps every
    row) the proxy must not ask filterAcceptsRow for each of them on every flush."""
    model = PhotoModel()
    proxy = CountingFilter()
    proxy.setSourceModel(model)
    items = [queued(store, make_theta_jpeg(tmp_path / f"{n}.jpg", seed=n)) for n in range(6)]
    model.apply_items(items)
    model.flush()
    proxy.asked = 0
    model.apply_items([moved(store, item, ItemState.UPLOADING) for item in items])
    model.flush()
    assert proxy.asked == 0
    assert proxy.rowCount() == 6
    # Under a filter the rows follow their state, also after going back to "All" and out.
    proxy.set_status_filter(StatusFilter.UPLOADING)
    assert proxy.rowCount() == 6
    proxy.set_status_filter(StatusFilter.ALL)
    proxy.set_status_filter(StatusFilter.UPLOADED)
    assert proxy.rowCount() == 0
    model.apply_items([moved(store, items[0], ItemState.UPLOADED, photo_id=1)])
    model.flush()
    assert proxy.rowCount() == 1
    proxy.set_status_filter(StatusFilter.ALL)
    assert proxy.rowCount() == 6
    qtmodeltester.check(proxy, force_py=True)


def test_many_updates_in_one_turn_make_one_data_changed(qtbot, tmp_path, store):
    model = PhotoModel()
    items = [queued(store, make_theta_jpeg(tmp_path / f"{i}.jpg", seed=i)) for i in range(5)]
    model.apply_items(items)
    model.apply_items([moved(store, item, ItemState.UPLOADING) for item in items[1:4]])
    model.flush()
    changes: list[tuple[int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda first, last, roles: changes.append((first.row(), last.row(), roles))
    )
    for sent in range(0, 101, 10):
        for item in items[1:4]:
            model.set_progress(item.id, sent, 100)
    assert changes == []  # nothing yet: coalesced until the event loop turns
    qtbot.waitUntil(lambda: len(changes) > 0, timeout=2000)
    assert len(changes) == 1
    first, last, roles = changes[0]
    assert (first, last) == (1, 3)
    assert PhotoRole.PROGRESS in roles
    assert [row.progress for row in model.rows] == [0, 100, 100, 100, 0]


def test_a_thumbnail_for_a_removed_row_is_dropped(tmp_path, store):
    model = PhotoModel()
    path = make_theta_jpeg(tmp_path / "a.jpg")
    first = queued(store, path)
    model.apply_items([first])
    old_stamp = model.row_for(path).stamp
    model.remove_ids([first.id])
    store.remove([first.id])
    model.apply_items([first])  # a late event for the removed row does not bring it back
    assert model.rowCount() == 0
    again = queued(store, path)  # dropped again: a new row with a new stamp
    model.forget_removed([again.id])  # SQLite may give it the old id back
    model.apply_items([again])
    assert not model.set_thumbnail(path, old_stamp, small_image())
    assert model.row_for(path).thumbnail is None
    assert model.set_thumbnail(path, model.row_for(path).stamp, small_image())
    assert model.row_for(path).thumbnail is not None


def test_summary_counts_verdicts_and_uploads(tmp_path, store):
    model = PhotoModel()
    ok = queued(store, make_theta_jpeg(tmp_path / "ok.jpg"))
    review = queued(store, make_plain_jpeg(tmp_path / "plain.jpg"))
    model.apply_items(
        [
            moved(store, ok, ItemState.UPLOADED, verdict="ok", photo_id=7),
            moved(store, review, ItemState.HELD, verdict="needs_review", reason="2:1 only"),
        ]
    )
    assert model.summary() == "2 files: 1 ok, 1 needs review · 1 uploaded"
    assert model.row_by_id(ok.id).photo_id == 7


def test_queued_rows_say_why_the_queue_waits(tmp_path, store):
    model = PhotoModel()
    ready = moved(store, queued(store, make_theta_jpeg(tmp_path / "a.jpg")), ItemState.READY)
    held = moved(store, queued(store, make_plain_jpeg(tmp_path / "b.jpg")), ItemState.HELD)
    model.apply_items([ready, held])
    versions = {i: model.row_by_id(i).version for i in (ready.id, held.id)}
    model.set_waiting("waiting for sign-in")
    assert model.row_by_id(ready.id).reason == "waiting for sign-in"
    assert model.row_by_id(held.id).reason == ""
    # Only the queued row looks different: only its tile is painted again.
    assert model.row_by_id(ready.id).version != versions[ready.id]
    assert model.row_by_id(held.id).version == versions[held.id]
    model.set_waiting("")
    assert model.row_by_id(ready.id).reason == ""
