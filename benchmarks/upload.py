"""Section 3: upload throughput over loopback, thetadesk against curl, to the same server.

The image360 server runs the production way (`--production --workers 2`: gunicorn, gthread
workers). Both clients send the same THETA V-size files to POST /api/upload-photo/ with the
same access token and the same form fields (title, description, attribution, license_link,
date_taken, camera_model, category, order, then the image):

- thetadesk: the upload engine as the CLI and the window run it, in a fresh interpreter,
  timed from `enqueue` of the batch to `run()` returning with every file uploaded. That
  includes its own work per file: SHA-256 of the content (so nothing is ever sent twice),
  the inspection, and one durable queue transaction per state change;
- curl: one curl process with a config of one transfer per file (`next`), connections
  reused; `--parallel --parallel-max N` for the parallel run. `Expect:` is turned off, which
  only helps curl (it would otherwise wait for a 100-continue before each body).

The account is emptied before each run: the server keeps one copy per content and answers a
repeat upload without storing it, which would flatter whichever client came second.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import build_batch
from benchmarks.harness import (
    ROOT,
    Section,
    child_env,
    delete_all_photos,
    median,
    production_server,
    run_child,
    sign_in,
)
from benchmarks.report import Scale

PARALLEL = 3  # thetadesk's default; curl gets the same
WORKERS = 2


def _fields(path: Path) -> dict[str, str]:
    """What thetadesk's engine sends for this file (camera and date from the file)."""
    from thetadesk.core.engine import BASE_FIELDS, default_title
    from thetadesk.core.inspection import inspect_file

    inspection = inspect_file(path)
    return {
        **BASE_FIELDS,
        "camera_model": inspection.camera_code,
        "date_taken": inspection.date_taken or "",
        "title": default_title(path),
    }


def _curl_config(url: str, access: str, files: list[Path], config: Path) -> None:
    lines = []
    for path in files:
        lines += [
            f'url = "{url}/api/upload-photo/"',
            f'header = "Authorization: Bearer {access}"',
            'header = "Expect:"',
            'output = "/dev/null"',
            'write-out = "%{http_code}\\n"',
        ]
        lines += [f'form-string = "{name}={value}"' for name, value in _fields(path).items()]
        lines.append(f'form = "image=@{path};type=image/jpeg;filename={path.stem}.jpg"')
        lines.append("next")
    config.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")


def _run_curl(config: Path, parallel: int, expected: int) -> float:
    command = ["curl", "-sS", "-K", str(config)]
    if parallel > 1:
        command[1:1] = ["--parallel", "--parallel-max", str(parallel)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    codes = completed.stdout.split()
    if completed.returncode != 0 or len(codes) != expected or set(codes) != {"201"}:
        raise RuntimeError(f"curl: exit {completed.returncode}, answers {sorted(set(codes))}: "
                           f"{completed.stderr[-2000:]}")  # fmt: skip
    return seconds


def child(argv: list[str]) -> None:
    """Upload a folder with the engine; print the seconds and the final states."""
    url, access, refresh, parallel, db, folder = argv
    from thetadesk.core.api import Image360Client
    from thetadesk.core.engine import EngineSettings, UploadEngine
    from thetadesk.core.queue_store import QueueStore
    from thetadesk.core.scan import find_photos

    client = Image360Client(url)
    client.tokens.set(access, refresh)
    # `thetadesk upload` signs in before it sends anything, which loads the HTTP client and
    # leaves a connection open; with the tokens given here, one request does the same.
    client.check_session()
    files = find_photos([folder])
    with QueueStore(db) as store:
        engine = UploadEngine(
            store, client, "tutorial", settings=EngineSettings(parallel=int(parallel))
        )
        started = time.perf_counter()
        engine.enqueue(files)
        result = engine.run()
        seconds = time.perf_counter() - started
        states: dict[str, int] = {}
        for item in engine.items():
            states[item.state.value] = states.get(item.state.value, 0) + 1
    print(json.dumps({"seconds": seconds, "status": result.status.value, "states": states}))


def run_section(work: Path, scale: Scale, rounds: int) -> Section:
    count = scale.upload_files
    folder = work / "photos"
    # Only uploadable files: the batch builder's odd ones out (dual-fisheye) are left out.
    built = build_batch(folder, count + count // 10 + 2, "v")
    files = [path for path in built if _uploadable(path)][:count]
    for extra in set(built) - set(files):
        extra.unlink()
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    section = Section(
        f"3. Upload throughput ({count} THETA V-size files, {megabytes:.0f} MB, loopback, "
        f"server: gunicorn {WORKERS} workers)"
    )
    env = child_env(work / "home")
    runs: dict[str, list[float]] = {}
    with production_server(work / "server", workers=WORKERS) as url:
        access, refresh = sign_in(url)
        config = work / "curl.cfg"
        _curl_config(url, access, files, config)
        delete_all_photos(url, access)
        _run_curl(config, PARALLEL, count)  # warm-up: the workers' first requests load Django
        for round_number in range(rounds):
            order = [("thetadesk", 1), ("curl", 1), ("thetadesk", PARALLEL), ("curl", PARALLEL)]
            if round_number % 2:  # alternate who goes first in each pair
                order = [order[1], order[0], order[3], order[2]]
            for name, parallel in order:
                delete_all_photos(url, access)
                if name == "curl":
                    seconds = _run_curl(config, parallel, count)
                else:
                    db = work / f"queue-{round_number}-{parallel}.sqlite3"
                    data = run_child(
                        "benchmarks.upload",
                        [url, access, refresh, str(parallel), str(db), str(folder)],
                        env,
                    )
                    if data["states"] != {"uploaded": count}:
                        raise RuntimeError(f"thetadesk upload ended with {data}")
                    seconds = float(data["seconds"])
                runs.setdefault(f"{name}-{parallel}", []).append(megabytes / seconds)
        delete_all_photos(url, access)

    def ratio(a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(runs[a], runs[b], strict=True)]

    section.add("thetadesk, one stream (engine, parallel=1)", "MB/s", runs["thetadesk-1"])
    section.add("curl, one stream", "MB/s", runs["curl-1"])
    section.add(f"thetadesk, parallel={PARALLEL}", "MB/s", runs[f"thetadesk-{PARALLEL}"])
    section.add(f"curl --parallel-max {PARALLEL}", "MB/s", runs[f"curl-{PARALLEL}"])
    single = ratio("thetadesk-1", "curl-1")
    section.add("thetadesk ÷ curl, one stream", "×", single, target="≥ 0.9×",
                met=median(single) >= 0.9)  # fmt: skip
    parallel_ratio = ratio(f"thetadesk-{PARALLEL}", f"curl-{PARALLEL}")
    section.add(f"thetadesk ÷ curl, parallel {PARALLEL}", "×", parallel_ratio, target="> 1×",
                met=median(parallel_ratio) > 1)  # fmt: skip
    section.add(
        f"thetadesk parallel={PARALLEL} ÷ curl one stream", "×",
        ratio(f"thetadesk-{PARALLEL}", "curl-1"),
    )  # fmt: skip
    section.notes.append(
        f"Files per second = MB/s ÷ {megabytes / count:.2f} MB. thetadesk's time includes "
        "hashing, inspecting and queue bookkeeping of every file; curl only sends."
    )
    return section


def _uploadable(path: Path) -> bool:
    from thetadesk.core.inspection import inspect_file

    return inspect_file(path).verdict.uploadable


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    child(sys.argv[1:])
