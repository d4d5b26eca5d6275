"""Section 5: start-up. The app to its window shown, and a one-file `thetadesk check`.

The app is started the way the README's run command starts it (`python -m thetadesk.gui
--server URL --username tutorial` with THETADESK_PASSWORD set: sign-in without the dialog)
against the production server, in a fresh interpreter, under Qt's offscreen platform. A few
lines run before the app's own `main()`: after the `thetadesk.gui` package (which every way
of starting the app imports before PySide6), they create the QApplication (which main() then
uses) and watch its events; the first paint of a top-level window ends the measurement,
counted from just before the parent started the process. The same is done for a
returning user ("Remember me" kept the session in the keychain, here a stand-in one:
benchmarks/keychain_standin.py; the window opens without a request and checks the session
in the background) and without an account (first launch: the sign-in dialog is the first
window). The sign-in request alone is timed too, since the server's password hashing is part
of the first number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import build_batch
from benchmarks.harness import (
    DEMO_PASSWORD,
    ROOT,
    Section,
    child_env,
    median,
    production_server,
    sign_in,
)
from benchmarks.report import Scale

WATCHER = r"""
import os, sys, time
started = float(os.environ["THETADESK_BENCH_T0"])
import thetadesk.gui  # first, as `python -m thetadesk.gui` and the thetadesk-gui script do
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class FirstWindow(QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.isWindow()
                and not hasattr(self, "seen")):
            self.seen = True
            print(f"SHOWN {time.time() - started:.4f} {type(obj).__name__}", flush=True)
            QTimer.singleShot(0, lambda: os._exit(0))  # a dialog runs its own loop: leave
        return False

app = QApplication([sys.argv[0]])
watcher = FirstWindow()
app.installEventFilter(watcher)
from thetadesk.gui.app import main
main(sys.argv[1:])
"""


def launch(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawning the app to its first window painted, and that window's class."""
    env = dict(env, THETADESK_BENCH_T0=repr(time.time()))
    completed = subprocess.run(
        [sys.executable, "-c", WATCHER, *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    for line in completed.stdout.splitlines():
        if line.startswith("SHOWN "):
            _, seconds, window = line.split()
            return float(seconds), window
    raise RuntimeError(f"the app showed no window: {completed.stdout}\n{completed.stderr[-3000:]}")


def run_section(work: Path, scale: Scale, rounds: int) -> Section:
    section = Section("5. Start-up")
    photo = build_batch(work / "photo", 1, "v")[0]
    windows: set[str] = set()
    runs: dict[str, list[float]] = {
        "signed": [], "returning": [], "first": [], "check": [], "signin": [],
    }  # fmt: skip
    with production_server(work / "server") as url:
        sign_in(url)  # the server's first request warms its workers
        # One launch first, unmeasured: Python writes its bytecode caches (an installed
        # app has them) and the OS caches the libraries, as on any start after the first.
        launch(["--server", url], child_env(work / "warm-up"))
        for number in range(rounds):
            home = work / f"home-{number}"
            keychain = {
                "PYTHON_KEYRING_BACKEND": "benchmarks.keychain_standin.StandInKeychain",
                "THETADESK_BENCH_KEYCHAIN": str(work / f"keychain-{number}.json"),
            }
            env = child_env(home, {"THETADESK_PASSWORD": DEMO_PASSWORD, **keychain})
            account = ["--server", url, "--username", "tutorial"]
            seconds, window = launch(account, env)  # signs in, "Remember me" keeps the token
            runs["signed"].append(seconds)
            windows.add(window)
            seconds, window = launch(account, child_env(home, keychain))  # no password now
            runs["returning"].append(seconds)
            windows.add(window)
            first_env = child_env(work / f"first-{number}")
            seconds, window = launch(["--server", url], first_env)
            runs["first"].append(seconds)
            windows.add(window)
            started = time.perf_counter()
            sign_in(url)
            runs["signin"].append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "thetadesk", "check", str(photo)], cwd=ROOT,
                env=child_env(home), stdout=subprocess.DEVNULL, check=True,
            )  # fmt: skip
            runs["check"].append(time.perf_counter() - started)
    section.add(
        "app launch → main window shown, returning user (Remember me: no request first)", "s",
        runs["returning"], target="< 1 s", met=median(runs["returning"]) < 1,
        higher_is_better=False,
    )  # fmt: skip
    section.add(
        "app launch → main window shown, signing in from THETADESK_PASSWORD first", "s",
        runs["signed"], target="< 1 s", met=median(runs["signed"]) < 1, higher_is_better=False,
    )  # fmt: skip
    section.add("of which the sign-in request (server hashes the password)", "s",
                runs["signin"], higher_is_better=False)  # fmt: skip
    signed_minus = [a - b for a, b in zip(runs["signed"], runs["signin"], strict=True)]
    section.add("app launch → main window shown, less the sign-in request", "s", signed_minus,
                higher_is_better=False)  # fmt: skip
    section.add("first launch (no account) → sign-in dialog shown", "s", runs["first"],
                higher_is_better=False)  # fmt: skip
    section.add("`thetadesk check` of one file, as a process", "s", runs["check"],
                higher_is_better=False)  # fmt: skip
    section.notes.append(
        f"Windows seen first: {', '.join(sorted(windows))}. Platform: "
        f"{os.environ.get('QT_QPA_PLATFORM', 'offscreen')}; the interpreter's own start "
        "(and .venv's editable-install hooks) included."
    )
    return section


if __name__ == "__main__":
    print(json.dumps(launch(sys.argv[1:], child_env(Path(sys.argv[0]).parent))))
