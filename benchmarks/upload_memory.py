"""Peak memory of the upload engine while it sends one 200 MB photo (issue 4).

Starts the real image360 server (upload cap raised for the occasion) unless --server is
given, writes a valid 200 MB THETA-like JPEG (padded with comment segments), then in a fresh
interpreter: signs in, queues the file, measures the resident set size once idle, and runs
the engine (hash + streamed upload) while sampling RSS. The claim: peak stays within 100 MB
of idle, i.e. memory does not grow with the file. Linux only (reads /proc/self/status).

    python benchmarks/upload_memory.py [--size-mb 200] [--server URL] [--write-results]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 100.0
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

CHILD = r"""
import gc, json, os, sys, threading, time
from pathlib import Path
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import EngineSettings, QueueStatus, UploadEngine
from thetadesk.core.queue_store import QueueStore

def rss_mb(field="VmRSS"):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)

url, user, password, photo, db = sys.argv[1:6]
client = Image360Client(url)
client.sign_in(user, password)
store = QueueStore(db)
engine = UploadEngine(store, client, user, settings=EngineSettings(parallel=3, settle_seconds=0))
engine.enqueue([photo])
gc.collect()
idle = rss_mb()
peak = idle
done = threading.Event()
def sample():
    global peak
    while not done.wait(0.005):
        peak = max(peak, rss_mb())
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
started = time.monotonic()
result = engine.run()
seconds = time.monotonic() - started
done.set()
sampler.join()
peak = max(peak, rss_mb())
(item,) = engine.items()
print(json.dumps({"idle_mb": idle, "peak_mb": peak, "seconds": seconds,
                  "status": result.status.value, "state": item.state.value,
                  "reason": item.reason}))
"""


def make_big_jpeg(path: Path, size: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.support.theta_fixtures import make_theta_jpeg

    jpeg = make_theta_jpeg(path, seed=1).read_bytes()
    chunk = os.urandom(65000)
    segment = b"\xff\xfe" + struct.pack(">H", len(chunk) + 2) + chunk
    with open(path, "wb") as out:
        out.write(jpeg[:2])
        written = 2
        while written < size - len(jpeg):
            out.write(segment)
            written += len(segment)
        out.write(jpeg[2:])
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--server", help="an image360 server that accepts the size")
    parser.add_argument("--username", default="tutorial")
    parser.add_argument("--password", default="theta360DotGuide")
    parser.add_argument("--write-results", action="store_true", help="append to RESULTS.md")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("this benchmark reads /proc (Linux)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="upload-memory-") as tmp:
        folder = Path(tmp)
        photo = make_big_jpeg(folder / "R0099999.JPG", args.size_mb * 1_000_000)
        server = None
        url = args.server
        if url is None:
            from tests.support.live_server import start_server

            cap = str(photo.stat().st_size + 10_000_000)
            server = start_server(folder / "server", env={"IMAGE360_MAX_UPLOAD_BYTES": cap})
            url = server.url
        try:
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    url,
                    args.username,
                    args.password,
                    str(photo),
                    str(folder / "queue.sqlite3"),
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=1800,
                check=False,
            )
        finally:
            if server is not None:
                server.stop()
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return 1
        data = json.loads(child.stdout.strip().splitlines()[-1])

    growth = data["peak_mb"] - data["idle_mb"]
    ok = data["state"] == "uploaded" and growth <= LIMIT_MB
    line = (
        f"{data['state']} {args.size_mb} MB in {data['seconds']:.1f} s; RSS idle "
        f"{data['idle_mb']:.1f} MB, peak {data['peak_mb']:.1f} MB, growth {growth:.1f} MB "
        f"(limit {LIMIT_MB:.0f} MB): {'PASS' if ok else 'FAIL'}"
    )
    print(line if not data["reason"] else f"{line} ({data['reason']})")
    if args.write_results:
        stamp = time.strftime("%Y-%m-%d")
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(f"| {stamp} | upload_memory.py | {line} |\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
