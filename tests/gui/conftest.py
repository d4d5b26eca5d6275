"""Fixtures for the desktop app's tests: synthetic THETA files, real servers, a window."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates a Qt app

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.gui.helpers import DEMO_PASSWORD, DEMO_USER, copied_a_while_ago  # noqa: E402
from tests.support.live_server import LiveServer, start_server  # noqa: E402
from tests.support.theta_fixtures import (  # noqa: E402
    make_dualfisheye,
    make_plain_jpeg,
    make_theta_jpeg,
)
from thetadesk.core.api import Image360Client  # noqa: E402
from thetadesk.core.paths import AppPaths  # noqa: E402
from thetadesk.gui.login_dialog import Session  # noqa: E402
from thetadesk.gui.main_window import MainWindow  # noqa: E402
from thetadesk.gui.settings import SettingsStore  # noqa: E402


@pytest.fixture(autouse=True)
def _qt_application(qapp):
    """Every GUI test runs with the QApplication (models start timers, pools need it)."""
    return qapp


@pytest.fixture(autouse=True)
def _app_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own queue file, settings file and log folder (AppPaths.default()
    reads these), so no window sees another test's queue."""
    monkeypatch.setenv("THETADESK_DATA_DIR", str(tmp_path / "app-data"))
    monkeypatch.setenv("THETADESK_CONFIG_DIR", str(tmp_path / "app-config"))
    monkeypatch.delenv("THETADESK_LOG_DIR", raising=False)
    return tmp_path / "app-data"


@pytest.fixture(autouse=True)
def _public_gps_sent(request: pytest.FixtureRequest, _app_folders: Path) -> None:
    """The test photos carry GPS positions (as THETA photos do), and the window holds
    public ones by default: most tests are about something else, so their windows send
    them. Tests marked `gps_held` keep the default."""
    if request.node.get_closest_marker("gps_held") is None:
        SettingsStore(AppPaths.default().settings_file).update(public_gps="send")


@pytest.fixture(scope="session")
def gui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("image360-gui") / "data") as server:
        yield server


@pytest.fixture
def server(gui_server: LiveServer) -> LiveServer:
    """The GUI tests' server, with the demo account's photo list emptied first.

    As good as a fresh server for these tests (each has its own queue file, and signs in
    afresh), without starting one per test: that takes seconds on a busy 2-core machine.
    Tests that need other server settings use server_factory.
    """
    client = Image360Client(gui_server.url)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    for photo in client.list_photos():
        client.delete_photo(photo["id"])
    return gui_server


@pytest.fixture
def theta_files(tmp_path: Path) -> dict[str, Path]:
    """One file per verdict, plus a folder with two more uploadable photos."""
    drop = tmp_path / "drop"
    folder = drop / "roll"
    folder.mkdir(parents=True)
    files = {
        "ok": make_theta_jpeg(drop / "R0010001.JPG", model="RICOH THETA V", seed=1),
        "warning": make_theta_jpeg(drop / "R0010002.JPG", model="RICOH THETA", gpano=False, seed=2),
        "needs_review": make_plain_jpeg(drop / "export.jpg", seed=3),
        "rejected": make_dualfisheye(drop / "R0010004.JPG", seed=4),
        "folder": folder,
        "folder_ok_1": make_theta_jpeg(folder / "R0020001.JPG", model="RICOH THETA S", seed=5),
        "folder_ok_2": make_theta_jpeg(folder / "R0020002.JPG", model="RICOH THETA Z1", seed=6),
    }
    copied_a_while_ago(*(path for key, path in files.items() if key != "folder"))
    return files


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[..., MainWindow]]:
    """Open main windows; every one is shut down (worker thread stopped) at teardown."""
    windows: list[MainWindow] = []

    def make(session: Session | None, **kwargs) -> MainWindow:
        window = MainWindow(session, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()  # Qt delivers drops only to visible widgets
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        assert window.shutdown(10_000), "the upload worker did not stop"
