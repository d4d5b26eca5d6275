"""`thetadesk upload` on the persistent queue, `thetadesk queue`, and kill -9 mid-batch."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.engine_harness import (
    DEMO_PASSWORD,
    DEMO_USER,
    assert_each_once,
    make_batch,
    sha256_of,
    signed_in,
)
from tests.support.live_server import start_server
from tests.support.theta_fixtures import make_dualfisheye
from thetadesk.core.engine import ALREADY_THERE

ROOT = Path(__file__).resolve().parents[2]


def cli_env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THETADESK_")}
    env["THETADESK_PASSWORD"] = DEMO_PASSWORD
    env["THETADESK_DATA_DIR"] = str(state)
    return env


def run_cli(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thetadesk", *args],
        capture_output=True,
        text=True,
        env=cli_env(state),
        timeout=120,
        cwd=ROOT,
    )


def upload_args(server, *paths: Path, parallel: int = 3) -> list[str]:
    return [
        "upload",
        "--server",
        server.url,
        "--username",
        DEMO_USER,
        "--parallel",
        str(parallel),
        *map(str, paths),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Shared: every test makes content of its own, and checks only for that."""
    with start_server(tmp_path_factory.mktemp("engine-cli")) as server:
        yield server


def test_upload_again_sends_nothing_twice_and_queue_shows_it(server, tmp_path: Path) -> None:
    state = tmp_path / "state"
    folder = tmp_path / "roll"
    files = make_batch(folder, 3)
    make_dualfisheye(folder / "fisheye.JPG", seed=77)

    first = run_cli(state, *upload_args(server, folder))
    assert first.returncode == 1, first.stderr  # the fisheye is rejected
    assert "3 of 4 files uploaded" in first.stdout
    second = run_cli(state, *upload_args(server, folder))
    # Added again: the server is asked whether it still has each, and nothing is re-sent.
    assert second.stdout.count("already on the server") == 3, second.stdout
    assert_each_once(server.url, files)

    # Deleted on the server since (by the Library, the CLI or another app): sent again.
    client = signed_in(server.url)
    gone = next(p for p in client.list_photos() if p["sha256"] == sha256_of(files[0]))
    client.delete_photo(gone["id"])
    third = run_cli(state, *upload_args(server, folder))
    [line] = [line for line in third.stdout.splitlines() if files[0].name in line]
    assert line.startswith("uploaded ") and "already" not in line, third.stdout
    assert third.stdout.count("already on the server") == 2
    assert_each_once(server.url, files)

    listed = run_cli(state, "queue", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(listed.stdout)}
    assert {n: r["state"] for n, r in rows.items()} == {
        **{f.name: "uploaded" for f in files},
        "fisheye.JPG": "failed",
    }
    assert all(rows[f.name]["sha256"] and rows[f.name]["photo_id"] for f in files)
    text = run_cli(state, "queue")
    assert "4 files: 3 uploaded, 1 failed" in text.stdout

    assert run_cli(state, "queue", "remove", str(folder / "fisheye.JPG")).returncode == 0
    assert run_cli(state, "queue", "remove", str(folder / "nope.JPG")).returncode == 1
    assert "removed 3 finished files" in run_cli(state, "queue", "clear-finished").stdout
    assert json.loads(run_cli(state, "queue", "--json").stdout) == []

    # A folder: every file of it, at any depth (and nothing of a folder that only starts
    # with the same name).
    (folder / "day2").mkdir()
    deeper = make_batch(folder / "day2", 1)
    beside = make_batch(tmp_path / "roll-2", 1)
    run_cli(state, *upload_args(server, folder, *beside))
    assert len(json.loads(run_cli(state, "queue", "--json").stdout)) == 6
    removed = run_cli(state, "queue", "remove", str(folder))
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.count("removed ") == 5
    left = [Path(row["path"]) for row in json.loads(run_cli(state, "queue", "--json").stdout)]
    assert left == beside and deeper[0] not in left


def test_a_photo_the_server_already_has_says_its_details_there_stay(server, tmp_path) -> None:
    """The queue forgot it (cleared), the server did not: the server keeps its copy and its
    details, and the file's line says so instead of a plain "uploaded"."""
    state = tmp_path / "state"
    [photo] = make_batch(tmp_path / "roll", 1)
    first = run_cli(state, *upload_args(server, photo), "--description", "first")
    assert first.returncode == 0, first.stderr
    assert run_cli(state, "queue", "clear-finished").returncode == 0
    second = run_cli(state, *upload_args(server, photo), "--description", "second")
    assert second.returncode == 0, second.stderr
    assert ALREADY_THERE in second.stdout
    client = signed_in(server.url)
    [stored] = [p for p in client.list_photos() if p["sha256"] == sha256_of(photo)]
    assert stored["description"] == "first"


def test_kill_9_at_random_moments_loses_and_duplicates_nothing(server, tmp_path: Path) -> None:
    state = tmp_path / "state"
    folder = tmp_path / "roll"
    files = make_batch(folder, 40)
    rng = random.Random(40)  # fixed: the same moments every run
    kills = runs = 0
    while True:
        runs += 1
        assert runs <= 80, f"only {kills} kills in {runs} runs"
        process = subprocess.Popen(
            [sys.executable, "-m", "thetadesk", *upload_args(server, folder, parallel=2)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=cli_env(state),
            cwd=ROOT,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(process, lines), daemon=True)
        reader.start()
        if kills < 20:
            if rng.random() < 0.4:
                # Anywhere: starting, signing in, recovering, checking, sending.
                _wait_quietly(process, rng.uniform(0.1, 0.8))
            else:
                # While files are in flight: right after one finished, plus a little.
                _wait_for_upload(lines, deadline=time.monotonic() + 60)
                _wait_quietly(process, rng.uniform(0.0, 0.04))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
        code = process.wait(timeout=120)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
        if code == 0 and kills >= 20:
            break
        if code == 0:
            # The batch went up before 20 kills (a fast machine, fast uploads): more files,
            # and more kills, rather than a test that depends on how fast sending is.
            files += make_batch(folder, 10, prefix=f"M{runs:02d}-")
            continue
        assert code == -signal.SIGKILL, f"run {runs} ended with {code}"
    assert kills >= 20

    assert_each_once(server.url, files)  # and no photo at all is on the server twice
    with sqlite3.connect(state / "queue.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        states = db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall()
    assert states == [("uploaded", len(files))]


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def _wait_for_upload(lines: queue.Queue[str | None], deadline: float) -> None:
    """Until this run reports a file it sent itself (not one from an earlier run)."""
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            return
        if line is None or (line.startswith("uploaded ") and "earlier run" not in line):
            return


def _wait_quietly(process: subprocess.Popen[str], seconds: float) -> None:
    """Let the process run `seconds` more (returns early if it exits): the random moment."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
