"""The Library tab against the real server: list with thumbnails, open, delete, refresh,
and uploads appearing as they finish."""

from __future__ import annotations

import pytest
import requests
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage

from tests.gui.helpers import (
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    server_titles,
    sign_in,
)
from thetadesk.gui import confirm, desktop
from thetadesk.gui.library import LibraryModel, LibraryPhoto

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def test_library_model_passes_qtmodeltester(qtmodeltester):
    model = LibraryModel()
    qtmodeltester.check(model, force_py=True)
    photos = [
        LibraryPhoto.from_api({"id": n, "title": f"P{n}", "camera_model": "X"}) for n in (1, 2)
    ]
    model.set_photos(photos)
    image = QImage(8, 4, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    model.set_thumbnail(2, image)
    model.remove_photo(1)
    qtmodeltester.check(model, force_py=True)
    assert [p.id for p in model.photos] == [2]


def test_a_list_item_without_title_uses_name_and_odd_items_are_skipped():
    assert LibraryPhoto.from_api({"id": 3, "name": "Kitchen"}).title == "Kitchen"
    assert LibraryPhoto.from_api({"id": "3"}) is None
    assert LibraryPhoto.from_api({"id": 4}).thumb_url == ""


def test_library_lists_with_thumbnails_opens_deletes_and_shows_new_uploads(
    qtbot, make_window, server, theta_files, monkeypatch
):
    window = make_window(sign_in(server.url))
    first = file_urls(theta_files["ok"], theta_files["warning"])
    drop(window, first)
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)

    view = window.library
    window.act_show_library.trigger()  # Ctrl+2; the first visit lists
    qtbot.waitUntil(lambda: len(view.model.photos) == 2, timeout=15_000)
    assert "2 photos on" in view.status.text()
    qtbot.waitUntil(lambda: all(p.thumbnail is not None for p in view.model.photos), timeout=15_000)
    assert all(not p.thumbnail.isNull() for p in view.model.photos)

    # Open Original: a fresh link, handed to the desktop; it downloads the very bytes sent.
    opened: list[QUrl] = []
    monkeypatch.setattr(desktop, "open_url", lambda url: opened.append(url) or True)
    ok_photo = next(p for p in view.model.photos if p.title == theta_files["ok"].stem)
    assert view.select_photo(ok_photo.id)
    view.open_button.click()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
    original = requests.get(opened[0].toString(), timeout=30)
    assert original.content == theta_files["ok"].read_bytes()

    # Delete asks first; "Cancel" keeps it, "Delete" removes it from the server.
    answers = iter([False, True])
    questions: list[dict] = []

    def ask(parent=None, **kwargs):
        questions.append(kwargs)
        return next(answers)

    monkeypatch.setattr(confirm, "ask", ask)
    view.delete_button.click()
    assert questions[0]["destructive"] is True
    assert len(server_titles(server.url)) == 2
    view.delete_button.click()
    qtbot.waitUntil(lambda: len(view.model.photos) == 1, timeout=10_000)
    assert server_titles(server.url) == [theta_files["warning"].stem]

    # A new upload shows up in the Library by itself once it is on the server.
    second = file_urls(theta_files["folder_ok_1"])
    drop(window, second)
    qtbot.waitUntil(
        lambda: theta_files["folder_ok_1"].stem in {p.title for p in view.model.photos},
        timeout=30_000,
    )
    # Refresh (F5) lists again.
    with qtbot.waitSignal(view.loaded, timeout=10_000) as loaded:
        window.act_refresh_library.trigger()
    assert loaded.args == [2]


def test_signed_out_library_says_to_sign_in(make_window):
    window = make_window(None)
    window.show_library()
    assert "Sign in" in window.library.status.text()
    assert not window.library.refresh_button.isEnabled()
