"""The photo list model: qtmodeltester, duplicates, batched updates, stale thumbnails."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg
from thetadesk.core.inspection import inspect_file
from thetadesk.core.uploader import UploadResult, UploadStatus
from thetadesk.gui.photo_model import PhotoModel, PhotoRole, UploadState


def small_image() -> QImage:
    image = QImage(16, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    return image


def test_model_passes_qtmodeltester_while_rows_are_added_and_updated(qtmodeltester, tmp_path):
    model = PhotoModel()
    qtmodeltester.check(model)  # empty
    ok = make_theta_jpeg(tmp_path / "ok.jpg")
    rejected = make_dualfisheye(tmp_path / "fisheye.jpg")
    model.add_paths([ok, rejected])
    model.set_inspection(ok, inspect_file(ok), UploadState.QUEUED)
    model.set_inspection(rejected, inspect_file(rejected), UploadState.CHECKING)
    model.apply_result(UploadResult(rejected, UploadStatus.REJECTED, "dual-fisheye"))
    model.set_progress(ok, 50, 100)
    model.set_thumbnail(ok, model.row_for(ok).stamp, small_image())
    model.flush()
    qtmodeltester.check(model, force_py=True)
    model.remove_paths([ok])
    qtmodeltester.check(model, force_py=True)


def test_roles_expose_the_row(tmp_path):
    model = PhotoModel()
    path = make_dualfisheye(tmp_path / "R0010001.JPG")
    model.add_paths([path])
    inspection = inspect_file(path)
    model.set_inspection(path, inspection, UploadState.CHECKING)
    model.apply_result(UploadResult(path, UploadStatus.REJECTED, inspection.reasons[0]))
    index = model.index(0)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "R0010001.JPG"
    assert index.data(PhotoRole.VERDICT) == "rejected"
    assert index.data(PhotoRole.HEADLINE) == inspection.reasons[0]
    assert index.data(PhotoRole.STATE) == "rejected"
    assert index.data(PhotoRole.PATH) == str(path)
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert all(reason in tooltip for reason in inspection.reasons)
    assert "rejected" in tooltip
    assert model.roleNames()[PhotoRole.VERDICT] == b"verdict"


def test_adding_the_same_path_twice_is_ignored(tmp_path):
    model = PhotoModel()
    a, b = make_theta_jpeg(tmp_path / "a.jpg"), make_theta_jpeg(tmp_path / "b.jpg")
    assert model.add_paths([a, a, b]) == [a, b]
    assert model.add_paths([Path(str(b)), a]) == []
    assert model.rowCount() == 2


def test_many_updates_in_one_turn_make_one_data_changed(qtbot, tmp_path):
    model = PhotoModel()
    paths = [make_theta_jpeg(tmp_path / f"{i}.jpg", seed=i) for i in range(5)]
    model.add_paths(paths)
    changes: list[tuple[int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda first, last, roles: changes.append((first.row(), last.row(), roles))
    )
    for sent in range(0, 101, 10):
        for path in paths[1:4]:
            model.set_progress(path, sent, 100)
    assert changes == []  # nothing yet: coalesced until the event loop turns
    qtbot.waitUntil(lambda: len(changes) > 0, timeout=2000)
    assert len(changes) == 1
    first, last, roles = changes[0]
    assert (first, last) == (1, 3)
    assert PhotoRole.PROGRESS in roles and PhotoRole.STATE in roles
    assert [row.progress for row in model.rows] == [0, 100, 100, 100, 0]


def test_a_thumbnail_for_a_removed_row_is_dropped(tmp_path):
    model = PhotoModel()
    path = make_theta_jpeg(tmp_path / "a.jpg")
    model.add_paths([path])
    old_stamp = model.row_for(path).stamp
    model.remove_paths([path])
    model.add_paths([path])  # re-added: a new row with a new stamp
    assert not model.set_thumbnail(path, old_stamp, small_image())
    assert model.row_for(path).thumbnail is None
    assert model.set_thumbnail(path, model.row_for(path).stamp, small_image())
    assert model.row_for(path).thumbnail is not None


def test_summary_counts_verdicts_and_uploads(tmp_path):
    model = PhotoModel()
    ok = make_theta_jpeg(tmp_path / "ok.jpg")
    review = make_plain_jpeg(tmp_path / "plain.jpg")
    model.add_paths([ok, review])
    model.set_inspection(ok, inspect_file(ok), UploadState.QUEUED)
    model.set_inspection(review, inspect_file(review), UploadState.CHECKING)
    model.apply_result(UploadResult(review, UploadStatus.HELD, "needs review"))
    model.apply_result(UploadResult(ok, UploadStatus.UPLOADED, photo={"id": 7}))
    assert model.summary() == "2 files: 1 ok, 1 needs review · 1 uploaded"
    assert model.row_for(ok).photo_id == 7


def test_clear_finished_keeps_rows_still_in_flight(tmp_path):
    model = PhotoModel()
    done, waiting = make_theta_jpeg(tmp_path / "a.jpg"), make_theta_jpeg(tmp_path / "b.jpg")
    model.add_paths([done, waiting])
    model.apply_result(UploadResult(done, UploadStatus.UPLOADED))
    model.set_state(waiting, UploadState.QUEUED)
    model.remove_finished()
    assert [row.path for row in model.rows] == [waiting]
