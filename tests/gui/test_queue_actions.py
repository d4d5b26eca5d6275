"""What the user does with queued files: filter, retry, upload anyway, remove, edit fields."""

from __future__ import annotations

import shutil

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
from tests.support.unreadable import refuse_listing
from thetadesk.core.paths import AppPaths
from thetadesk.gui import confirm
from thetadesk.gui.photo_model import PhotoRole, StatusFilter, UploadState
from thetadesk.gui.settings import SettingsStore

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


class Answers:
    """Stands in for confirm.ask: records the questions, answers from a list."""

    def __init__(self, *answers: bool) -> None:
        self.questions: list[dict] = []
        self._answers = list(answers)

    def __call__(self, parent=None, **kwargs) -> bool:
        self.questions.append(kwargs)
        return self._answers.pop(0)


def shown(window) -> list[str]:
    proxy = window.filter_model
    return sorted(proxy.index(r, 0).data() for r in range(proxy.rowCount()))


def test_filter_by_status_and_retry_a_failed_file(
    qtbot, make_window, server, theta_files, tmp_path
):
    # Signed out first: the files are checked and wait. One of them then disappears.
    window = make_window(None, server_url=server.url, username=DEMO_USER)
    ok, warning = theta_files["ok"], theta_files["warning"]
    mime = file_urls(ok, warning, theta_files["rejected"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: [state_of(window, p) for p in (ok, warning)] == [UploadState.QUEUED] * 2,
        timeout=30_000,
    )
    kept = shutil.copy2(warning, tmp_path / "kept.jpg")
    warning.unlink()
    window.set_session(sign_in(server.url))
    qtbot.waitUntil(lambda: all_final(window, 3), timeout=30_000)
    assert state_of(window, ok) is UploadState.UPLOADED
    assert state_of(window, warning) is UploadState.FAILED
    assert window.model.row_for(warning).reason == "the file is gone"

    window.set_status_filter(StatusFilter.FAILED)
    assert shown(window) == [warning.name]
    # The counts follow the rows a moment later (at most every SUMMARY_MS).
    qtbot.waitUntil(lambda: window.filter_box.currentText() == "Failed (1)", timeout=2000)
    window.set_status_filter(StatusFilter.UPLOADED)
    assert shown(window) == [ok.name]
    window.set_status_filter(StatusFilter.REJECTED)
    assert shown(window) == [theta_files["rejected"].name]
    window.set_status_filter(StatusFilter.ALL)
    assert len(shown(window)) == 3

    # The file is back: Retry Failed (nothing selected: every failed file) sends it.
    shutil.copy2(kept, warning)
    copied_a_while_ago(warning)
    assert window.act_retry_failed.isEnabled()
    window.act_retry_failed.trigger()
    qtbot.waitUntil(lambda: state_of(window, warning) is UploadState.UPLOADED, timeout=30_000)
    assert server_titles(server.url) == sorted([ok.stem, warning.stem])


def test_upload_anyway_asks_first_and_sends_only_after_yes(
    qtbot, make_window, server, theta_files, monkeypatch
):
    answers = Answers(False, True)
    monkeypatch.setattr(confirm, "ask", answers)
    window = make_window(sign_in(server.url))
    review, ok = theta_files["needs_review"], theta_files["ok"]
    mime = file_urls(review, ok)
    drop(window, mime)
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert state_of(window, review) is UploadState.HELD
    index = window.model.index_of(window.model.row_for(review).item_id)
    assert "needs review" in index.data(PhotoRole.ROW).tooltip

    select(window, review)
    assert window.act_upload_anyway.isEnabled()
    window.act_upload_anyway.trigger()  # "Cancel"
    assert len(answers.questions) == 1
    assert "held for review" in answers.questions[0]["text"]
    assert window.wait_for_commands()
    assert state_of(window, review) is UploadState.HELD
    assert server_titles(server.url) == [ok.stem]

    window.act_upload_anyway.trigger()  # "Upload Anyway"
    qtbot.waitUntil(lambda: state_of(window, review) is UploadState.UPLOADED, timeout=30_000)
    assert server_titles(server.url) == sorted([ok.stem, review.stem])


def test_multi_select_and_remove_from_the_queue(qtbot, make_window, server, theta_files):
    window = make_window(None, server_url=server.url, username=DEMO_USER)
    keys = ("ok", "warning", "needs_review", "rejected")
    mime = file_urls(*(theta_files[k] for k in keys))
    drop(window, mime)
    qtbot.waitUntil(
        lambda: (
            len(window.model.rows) == 4
            and all(row.state is not UploadState.CHECKING for row in window.model.rows)
        ),
        timeout=30_000,
    )
    select(window, theta_files["ok"], theta_files["rejected"])
    assert len(window.selected_rows()) == 2
    assert "2 photos selected" in window.details.heading.text()
    window.act_remove.trigger()
    assert sorted(row.path.name for row in window.model.rows) == sorted(
        theta_files[k].name for k in ("warning", "needs_review")
    )
    assert window.wait_for_commands()
    assert sorted(i.path.name for i in window.engine.items()) == sorted(
        theta_files[k].name for k in ("warning", "needs_review")
    )
    # Removed files can be added again.
    again = file_urls(theta_files["ok"])
    drop(window, again)
    qtbot.waitUntil(
        lambda: state_of(window, theta_files["ok"]) is UploadState.QUEUED, timeout=30_000
    )


def test_per_photo_edits_before_sending(qtbot, make_window, server, theta_files):
    window = make_window(None, server_url=server.url, username=DEMO_USER)
    ok = theta_files["ok"]
    mime = file_urls(ok)
    drop(window, mime)
    qtbot.waitUntil(lambda: state_of(window, ok) is UploadState.QUEUED, timeout=30_000)
    select(window, ok)
    panel = window.details
    assert panel.title_edit.text() == ok.stem
    assert panel.save_button.isEnabled()
    panel.title_edit.setText("Kitchen, north wall")
    panel.description_edit.setPlainText("Before the renovation")
    panel.category_box.setCurrentText("REAL_ESTATE")
    # A license link the server would refuse (after taking the photo) is caught here.
    panel.license_edit.setText("not a link")
    panel.save_button.click()
    assert "License link: not a web address" in panel.form_note.text()
    assert window.wait_for_commands()
    assert window.model.row_for(ok).item.fields.get("title") != "Kitchen, north wall"
    panel.license_edit.setText("https://creativecommons.org/licenses/by/4.0/")
    panel.save_button.click()
    qtbot.waitUntil(
        lambda: window.model.row_for(ok).item.fields.get("title") == "Kitchen, north wall",
        timeout=10_000,
    )
    window.set_session(sign_in(server.url))
    qtbot.waitUntil(lambda: state_of(window, ok) is UploadState.UPLOADED, timeout=30_000)
    (photo,) = sign_in(server.url).client.list_photos()
    assert photo["title"] == "Kitchen, north wall"
    assert photo["description"] == "Before the renovation"
    assert photo["category"] == "REAL_ESTATE"
    assert photo["license_link"] == "https://creativecommons.org/licenses/by/4.0/"
    assert photo["camera_model"] == "V"  # still from the file
    assert not panel.save_button.isEnabled()  # sent: no more edits


def _located_and_not(tmp_path):
    located = make_theta_jpeg(tmp_path / "R0030001.JPG", seed=11)  # with a GPS position
    unlocated = make_theta_jpeg(tmp_path / "R0030002.JPG", gps=False, seed=12)
    copied_a_while_ago(located, unlocated)
    return located, unlocated


@pytest.mark.gps_held
def test_a_public_photo_with_gps_waits_for_upload_anyway(
    qtbot, make_window, server, tmp_path, monkeypatch
):
    """The API's own advice: warn before sending a photo with GPS (a public upload tells
    everyone where it was taken). The window holds it, says why, and asks."""
    answers = Answers(True)
    monkeypatch.setattr(confirm, "ask", answers)
    located, unlocated = _located_and_not(tmp_path)
    window = make_window(sign_in(server.url))
    assert window.app_settings.public_gps == "hold"  # the default
    drop(window, file_urls(located, unlocated))
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert state_of(window, located) is UploadState.HELD
    assert state_of(window, unlocated) is UploadState.UPLOADED
    row = window.model.index_of(window.model.row_for(located).item_id).data(PhotoRole.ROW)
    assert "GPS position" in row.tooltip
    assert server_titles(server.url) == [unlocated.stem]

    select(window, located)
    window.act_upload_anyway.trigger()
    [question] = answers.questions
    assert "anyone can see where they were taken" in question["informative"]
    assert "Nothing proves" not in question["informative"]  # it is a proper THETA photo
    qtbot.waitUntil(lambda: state_of(window, located) is UploadState.UPLOADED, timeout=30_000)
    assert server_titles(server.url) == sorted([located.stem, unlocated.stem])


@pytest.mark.gps_held
def test_a_private_photo_with_gps_is_not_held(qtbot, make_window, server, tmp_path):
    SettingsStore(AppPaths.default().settings_file).update(public=False)
    located, unlocated = _located_and_not(tmp_path)
    window = make_window(sign_in(server.url))
    drop(window, file_urls(located, unlocated))
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert {state_of(window, path) for path in (located, unlocated)} == {UploadState.UPLOADED}


def test_a_dropped_folder_that_cannot_be_opened_is_told(
    qtbot, make_window, server, theta_files, monkeypatch
):
    told: list[dict] = []
    monkeypatch.setattr(confirm, "tell", lambda parent=None, **kwargs: told.append(kwargs))
    locked = theta_files["folder"]
    refuse_listing(monkeypatch, locked)
    window = make_window(sign_in(server.url))
    drop(window, file_urls(theta_files["ok"], locked))
    qtbot.waitUntil(lambda: bool(told), timeout=30_000)
    assert told == [
        {
            "title": "Some folders could not be opened",
            "text": f"Photos in {locked} were not added: Permission denied.",
        }
    ]
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    assert [row.path for row in window.model.rows] == [theta_files["ok"]]
