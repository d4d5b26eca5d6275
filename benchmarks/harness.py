"""What the benchmark sections share: child processes, timing, the server, the machine.

Every measurement that needs a clean process (memory, start-up, the window) runs in a child
interpreter started with `child_env()`, whose user folders (queue, log, settings, keychain)
are a throwaway directory, never the real user's.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO_USERNAME = "tutorial"
DEMO_PASSWORD = "theta360DotGuide"  # the public playground's demo account, not a secret


@dataclass
class Row:
    """One line of the results table.

    `runs` are the raw measurements (the table shows their median and spread); `target`
    is a human sentence and `met` says whether the median meets it (None: no target).
    """

    section: str
    name: str
    unit: str
    runs: list[float]
    target: str = ""
    met: bool | None = None
    note: str = ""
    higher_is_better: bool = True

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def spread(self) -> str:
        """Noise as min–max around the median, in percent."""
        if len(self.runs) < 2 or not self.median:
            return ""
        low, high = min(self.runs), max(self.runs)
        return f"±{max(self.median - low, high - self.median) / abs(self.median) * 100:.0f}%"


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, unit: str, runs: Sequence[float], **kwargs: object) -> Row:
        row = Row(self.title, name, unit, list(runs), **kwargs)  # type: ignore[arg-type]
        self.rows.append(row)
        return row


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt(value: float, unit: str = "") -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child thetadesk: user folders under `home`, offscreen Qt."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("THETADESK_")}
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        env[name] = str(home / name.lower())
    env["THETADESK_DATA_DIR"] = str(home / "thetadesk-data")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_child(
    module: str, args: Sequence[str], env: Mapping[str, str], timeout: float = 600
) -> dict[str, object]:
    """Run `python -m module args` and return the JSON object on its last stdout line."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"{module} {' '.join(args)} failed ({completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-5000:]}"
        )
    return json.loads(lines[-1])


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def rss_kb(pid: int | str = "self", field_name: str = "VmRSS") -> int:
    """Resident memory (VmRSS) or its peak (VmHWM) in KiB, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} for {pid}")


def load_average() -> float:
    return os.getloadavg()[0]


@contextmanager
def production_server(data_dir: Path, *, workers: int = 2) -> Iterator[str]:
    """The image360 server run the production way (gunicorn, `workers` processes)."""
    from tests.support.live_server import start_server

    server = start_server(
        data_dir,
        extra_args=("--production", "--workers", str(workers)),
        # Long-lived access tokens: a benchmark must not pause for a token refresh.
        access_lifetime=3600,
    )
    try:
        yield server.url
    finally:
        server.stop()


def sign_in(url: str) -> tuple[str, str]:
    """(access, refresh) tokens of the demo account."""
    import requests

    answer = requests.post(
        f"{url}/api/token/",
        json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
        timeout=30,
    )
    answer.raise_for_status()
    data = answer.json()
    return data["access"], data["refresh"]


def delete_all_photos(url: str, access: str) -> int:
    """Empty the demo account, so the next run stores every file again (the server keeps
    one copy per content and would answer a repeat upload without storing it)."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access}"
    photos = session.get(f"{url}/api/user-photo/", timeout=60).json()
    for photo in photos:
        session.delete(f"{url}/api/{photo['id']}/delete/", timeout=60).raise_for_status()
    return len(photos)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory = ""
    try:
        kib = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError):
        pass
    qt = subprocess.run(
        [
            sys.executable,
            "-c",
            "import PySide6, PySide6.QtCore as c; print(PySide6.__version__, c.qVersion())",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    exiftool = shutil.which("exiftool")
    exiftool_version = (
        subprocess.run(
            [exiftool, "-ver"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if exiftool
        else "missing"
    )
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "commit": commit or "unknown",
        "cpus": str(os.cpu_count()),
        "cpu": cpu or "unknown",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pyside6": qt[0] if qt else "?",
        "qt": qt[1] if len(qt) > 1 else "?",
        "exiftool": exiftool_version,
        "curl": curl.stdout.split()[1] if curl.returncode == 0 else "missing",
    }
