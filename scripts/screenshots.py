"""Render the README's screenshots: the main window mid-upload, the Library, the 360 viewer.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py
    python scripts/screenshots.py            # re-runs itself under xvfb-run when there is
                                             # no display and xvfb-run is installed

It starts the reference server (image360-server, from `server/`) on a free loopback port
with the demo account in a temporary folder, opens the real window on a temporary queue and
settings folder (nothing of the user's is read or written; no keychain is used), drops the
camera samples (../shared/samples, else synthetic THETA-like files), slows the upload link
down so the picture catches files in every state, and saves PNGs into docs/screenshots/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"
OUT = ROOT / "docs" / "screenshots"
DEMO_USER, DEMO_PASSWORD = "tutorial", "theta360DotGuide"  # the public playground's pair
WINDOW_SIZE = (1360, 860)
XVFB_SCREEN = "-screen 0 1600x1000x24"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per stage")
    return parser.parse_args(argv)


def rerun_under_xvfb() -> None:
    """No display: run again inside xvfb-run (Qt's offscreen platform works too, but Xvfb
    draws fonts and styles like a desktop does)."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or sys.platform != "linux":
        return
    if os.environ.get("THETADESK_SCREENSHOTS_NO_XVFB") or not shutil.which("xvfb-run"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    command = ["xvfb-run", "-a", "-s", XVFB_SCREEN, sys.executable, *sys.argv]
    raise SystemExit(subprocess.call(command))


def start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "image360_server", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(data_dir), "--demo"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("READY "):
            return process, line.removeprefix("READY ").strip().rstrip("/")
    raise SystemExit("the image360 server did not start (is `pip install -e server` done?)")


def photos_to_drop(samples: Path, folder: Path) -> list[Path]:
    """The camera samples, plus a second copy of one (it shows as a skipped duplicate)."""
    folder.mkdir(parents=True, exist_ok=True)
    if samples.is_dir():
        files = sorted(p for p in samples.iterdir() if p.suffix.lower() in {".jpg", ".jpeg"})
        copies = [Path(shutil.copy2(p, folder / p.name)) for p in files]
        big = max(copies, key=lambda p: p.stat().st_size)
        # Named to sort next to its original: both are checked early, and one is skipped.
        copies.append(Path(shutil.copy2(big, folder / f"{big.stem} (copy){big.suffix}")))
        return copies
    sys.path.insert(0, str(ROOT))
    from tests.support.theta_fixtures import make_dualfisheye, make_plain_jpeg, make_theta_jpeg

    made = [
        make_theta_jpeg(folder / f"R00{n:05d}.JPG", width=4096, height=2048, seed=n)
        for n in range(1, 6)
    ]
    made += [make_plain_jpeg(folder / "export.jpg", 2048, 1024), make_dualfisheye(folder / "f.jpg")]
    past = time.time() - 3600
    for path in made:
        os.utime(path, (past, past))
    return made


def wait_until(app: object, condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def save(widget: object, path: Path) -> None:
    image = widget.grab().toImage()  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rerun_under_xvfb()
    work = Path(tempfile.mkdtemp(prefix="thetadesk-screenshots-"))
    # Before anything reads them: a private queue, settings and log folder, and no keychain.
    os.environ["THETADESK_DATA_DIR"] = str(work / "app-data")
    os.environ["THETADESK_CONFIG_DIR"] = str(work / "app-config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QApplication

    from thetadesk.core.api import Image360Client
    from thetadesk.core.engine import EngineSettings
    from thetadesk.gui.login_dialog import Session
    from thetadesk.gui.main_window import MainWindow
    from thetadesk.gui.photo_model import UploadState
    from thetadesk.gui.resources import app_icon

    server, url = start_server(work / "server")
    window = None
    try:
        app = QApplication.instance() or QApplication([sys.argv[0]])
        app.setApplicationName("thetadesk")
        app.setWindowIcon(app_icon())

        # A slow link, so the picture shows files waiting, going and done at once.
        link = {"delay": 0.05}
        real_upload = Image360Client.upload_photo

        def slow_upload(self, path, fields, *, on_progress=None, **kwargs):  # type: ignore[no-untyped-def]
            def progress(sent: int, total: int) -> None:
                if on_progress is not None:
                    on_progress(sent, total)
                time.sleep(link["delay"])

            return real_upload(self, path, fields, on_progress=progress, **kwargs)

        Image360Client.upload_photo = slow_upload  # type: ignore[method-assign]

        client = Image360Client(url)
        client.sign_in(DEMO_USER, DEMO_PASSWORD)
        window = MainWindow(
            Session(client, DEMO_USER, remember=False),
            engine_settings=EngineSettings(parallel=2, settle_seconds=0.0),
        )
        window.resize(*WINDOW_SIZE)
        window.show()
        files = photos_to_drop(args.samples, work / "photos")
        window.add_paths(files)
        model = window.model
        wait_until(app, lambda: len(model.rows) == len(files), args.timeout, "the tiles to appear")

        def mid_upload() -> bool:
            states = [row.state for row in model.rows]
            going = [r for r in model.rows if r.state is UploadState.UPLOADING]
            return (
                UploadState.UPLOADED in states
                and (UploadState.SKIPPED in states or not args.samples.is_dir())
                and any(25 <= r.progress <= 75 for r in going)
                and all(r.thumbnail is not None or r.state is UploadState.REJECTED
                        for r in model.rows)
            )  # fmt: skip

        wait_until(app, mid_upload, args.timeout, "uploads under way")
        # The side panel shows the metadata of a photo with GPS (and the warning), else
        # every reason of a file held for review.
        shown = [r for r in model.rows if r.inspection is not None and r.inspection.has_gps]
        shown += [r for r in model.rows if r.state is UploadState.HELD]
        if shown:
            source = model.index_of(shown[0].item_id)
            index = window.filter_model.mapFromSource(source)
            window.grid.selectionModel().select(index, QItemSelectionModel.SelectionFlag.Select)
        wait_until(app, lambda: window.progress_bar.isVisible(), 10, "the progress bar")
        app.processEvents()
        save(window, args.out / "main-window.png")

        link["delay"] = 0.0
        done = {UploadState.UPLOADED, UploadState.HELD, UploadState.REJECTED, UploadState.SKIPPED,
                UploadState.FAILED}  # fmt: skip
        wait_until(
            app, lambda: all(r.state in done for r in model.rows), args.timeout, "all uploads"
        )
        window.show_library()
        library = window.library
        wait_until(
            app,
            lambda: (
                library.ever_loaded
                and library.model.photos
                and all(p.thumbnail is not None for p in library.model.photos)
            ),
            args.timeout,
            "the Library with thumbnails",
        )
        save(window, args.out / "library.png")
        save_viewer(app, window, files, args)
    finally:
        if window is not None:
            window.shutdown()
        server.terminate()
        server.wait(15)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def save_viewer(app: object, window: object, files: list[Path], args: argparse.Namespace) -> None:
    """The 360 viewer on the largest photo, turned a little from its default view."""
    path = max(files, key=lambda p: p.stat().st_size)
    dialog = window.open_viewer(path)  # type: ignore[attr-defined]
    dialog.resize(1100, 640)
    wait_until(app, lambda: not dialog.is_loading(), args.timeout, "the viewer")
    yaw, pitch, fov = dialog.panorama_view.view()
    dialog.panorama_view.set_view(yaw + 40.0, pitch - 5.0, fov)
    # The sharp (bilinear) frame follows a moment after the view stops moving.
    wait_until(app, dialog.panorama_view.is_refined, 10, "the viewer's sharp frame")
    save(dialog, args.out / "viewer.png")
    dialog.close()


if __name__ == "__main__":
    raise SystemExit(main())
