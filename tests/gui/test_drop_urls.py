"""Issue 8, drops: which dropped URLs become paths, and what the window is told about the rest.

Real QUrl and QMimeData inputs (as Qt hands them to dropEvent); at the end, the window's
drop handler showing the notice. Windows' UNC rule
is checked here by asking for Windows' rules; what only Qt on another platform does (drive
letters on Windows, resolving file references on macOS) is stated in drop_urls' docstring.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PureWindowsPath

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl

from tests.gui.helpers import OFFSCREEN_SIZE_HINTS, drop
from thetadesk.gui.drop_urls import Drop, read_mime, read_urls

WEB_NOTICE = "ignored 1 web link: only files can be added"


def mime_with(*urls: QUrl) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(list(urls))
    return mime


def test_local_files_and_folders_keep_their_order(tmp_path: Path) -> None:
    photo = tmp_path / "R0010001.JPG"
    folder = tmp_path / "roll"
    drop = read_urls([QUrl.fromLocalFile(str(photo)), QUrl.fromLocalFile(str(folder))])
    assert drop == Drop((photo, folder), ())
    assert drop.notice == ""


@pytest.mark.parametrize(
    "name",
    ["Zürich 東京.JPG", "Brașov, Țară.JPG", "a #1 ?50% & more.JPG", "with space.JPG"],
)
def test_names_qt_escapes_come_back_as_they_are(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    url = QUrl.fromLocalFile(str(path))
    assert "#" not in url.toEncoded().data().decode("ascii").removeprefix("file://")
    # Through text/uri-list, as another application's drag arrives.
    mime = QMimeData()
    mime.setData("text/uri-list", url.toEncoded() + b"\r\n")
    assert read_mime(mime).paths == (path,)


def test_web_links_are_left_out_with_a_notice(tmp_path: Path) -> None:
    photo = tmp_path / "R0010001.JPG"
    drop = read_mime(
        mime_with(QUrl("https://example.com/R0010002.JPG"), QUrl.fromLocalFile(str(photo)))
    )
    assert drop.paths == (photo,)
    assert drop.notices == (WEB_NOTICE,)
    assert drop.notice == WEB_NOTICE


def test_several_kinds_left_out_each_get_one_counted_notice() -> None:
    drop = read_urls(
        [
            QUrl("http://example.com/a.jpg"),
            QUrl("https://example.com/b.jpg"),
            QUrl("mailto:someone@example.com"),
            QUrl("file:"),  # a file URL without any path
        ]
    )
    assert drop.paths == ()
    assert drop.notices == (
        "ignored 2 web links: only files can be added",
        "ignored 2 links: only files can be added",
    )


def test_a_drop_without_urls_is_nothing() -> None:
    mime = QMimeData()
    mime.setText("/home/someone/R0010001.JPG")  # text is not a file, even when it looks like one
    assert read_mime(mime) == Drop()


def test_a_windows_unc_url_is_the_share_path_on_windows() -> None:
    url = QUrl("file://server/share/THETA/R0010001.JPG")
    assert url.isLocalFile() and url.toLocalFile() == "//server/share/THETA/R0010001.JPG"
    (path,) = read_urls([url], windows=True).paths
    assert str(path) == r"\\server\share\THETA\R0010001.JPG"
    assert PureWindowsPath(str(path)).drive == r"\\server\share"  # a UNC share, not a folder


def test_a_file_url_naming_another_computer_is_left_out_elsewhere() -> None:
    url = QUrl("file://server/share/R0010001.JPG")
    drop = read_urls([url], windows=False, this_host="laptop")
    assert drop.paths == ()
    assert drop.notices == (
        "ignored 1 file on another computer: add it from a mounted share or a local copy",
    )


@pytest.mark.parametrize("host", ["localhost", "LAPTOP"])
def test_a_file_url_naming_this_computer_is_a_local_path(host: str) -> None:
    url = QUrl(f"file://{host}/home/someone/R0010001.JPG")
    drop = read_urls([url], windows=False, this_host="laptop")
    assert drop == Drop((Path("/home/someone/R0010001.JPG"),), ())


def test_an_unresolved_macos_file_reference_is_left_out_with_a_notice(tmp_path: Path) -> None:
    # What Qt 4 passed on before QTBUG-40449; Qt 5.4+ resolves public.file-url drops to paths,
    # so on a Mac the test below (a resolved path) is the normal case.
    reference = QUrl("file:///.file/id=6571367.11958400")
    assert reference.isLocalFile()
    resolved = QUrl.fromLocalFile(str(tmp_path / "R0010001.JPG"))
    drop = read_urls([reference, resolved])
    assert drop.paths == (tmp_path / "R0010001.JPG",)
    assert drop.notices == (
        "ignored 1 file reference macOS did not resolve: drag the file from Finder again",
    )


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names are bytes on Linux")
def test_a_name_that_is_not_utf8_is_found(tmp_path: Path) -> None:
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/R\xe9sum\xe9.JPG"))
    path.write_bytes(b"not a photo, only a name")
    # As a Linux file manager writes it into text/uri-list: the raw bytes %-escaped.
    encoded = b"file://" + os.fsencode(tmp_path) + b"/R%E9sum%E9.JPG"
    mime = QMimeData()
    mime.setData("text/uri-list", encoded + b"\r\n")
    (url,) = mime.urls()
    assert "\ufffd" in url.toLocalFile()  # what Qt's QString makes of it
    assert read_mime(mime).paths == (path,)
    assert path.exists()


# -- the window's drop handler ----------------------------------------------------------------


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_the_window_says_why_a_dropped_web_link_added_nothing(make_window, qtbot) -> None:
    window = make_window(None)
    mime = mime_with(QUrl("https://example.com/R0010002.JPG"))
    event = drop(window, mime)
    assert event.isAccepted()
    assert event.dropAction() == Qt.DropAction.CopyAction
    assert window.statusBar().currentMessage() == WEB_NOTICE
    assert not window.model.rows


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_the_window_adds_the_files_of_a_mixed_drop_and_says_what_it_left_out(
    make_window, qtbot, theta_files
) -> None:
    window = make_window(None)
    mime = mime_with(QUrl("http://example.com/x.jpg"), QUrl.fromLocalFile(str(theta_files["ok"])))
    drop(window, mime)
    assert window.statusBar().currentMessage() == WEB_NOTICE
    qtbot.waitUntil(lambda: [row.path for row in window.model.rows] == [theta_files["ok"]])


@pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)
def test_a_big_drop_is_read_off_the_gui_thread_with_the_same_outcome(
    make_window, qtbot, tmp_path, monkeypatch
) -> None:
    """More URLs than READ_URLS_HERE: the drop is accepted at once and read on the queue
    command thread; every file is added and what was left out is still said."""
    from tests.support.theta_fixtures import make_theta_jpeg
    from thetadesk.gui import main_window

    monkeypatch.setattr(main_window, "READ_URLS_HERE", 10)
    paths = [make_theta_jpeg(tmp_path / f"R{n:07d}.JPG", seed=n) for n in range(12)]
    window = make_window(None)
    mime = mime_with(
        QUrl("https://example.com/R0010002.JPG"), *(QUrl.fromLocalFile(str(p)) for p in paths)
    )
    event = drop(window, mime)
    assert event.isAccepted()
    assert event.dropAction() == Qt.DropAction.CopyAction
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == WEB_NOTICE, timeout=10_000)
    qtbot.waitUntil(lambda: sorted(row.path for row in window.model.rows) == paths, timeout=10_000)
