"""Set up a virtual environment, then run the app or the tests.

    python3 scripts/dev.py run     # local image360 server with the demo account + the window
    python3 scripts/dev.py test    # the whole test suite

Standard library only, so it runs on a fresh machine with nothing but Python 3.11+, on
Linux, macOS and Windows alike. The venv lives in .venv/ and is refreshed when
pyproject.toml files change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import venv
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("THETADESK_VENV", ROOT / ".venv"))
DEMO_USER = "tutorial"
DEMO_PASSWORD = "theta360DotGuide"  # the public playground's demo account, not a secret


def venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def _requirements_stamp() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "server/pyproject.toml", "scripts/dev.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> Path:
    """Create .venv if needed and install the app, the server and the test tools into it."""
    python = venv_python()
    stamp_file = VENV / ".thetadesk-stamp"
    stamp = _requirements_stamp()
    if python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return python
    if not python.exists():
        print(f"Creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    print("Installing thetadesk, the image360 server and test tools", flush=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # The installer extra (PyInstaller) lets the suite build and check the frozen app too.
    subprocess.run([*pip, "-e", f"{ROOT}[test,installer]", "-e", str(ROOT / "server")], check=True)
    stamp_file.write_text(stamp)
    return python


def _echo(stream: IO[str]) -> None:
    for line in stream:
        print(line, end="", flush=True)


def run_app(python: Path, extra: list[str]) -> int:
    """Start a local server with the demo account, open the window signed in, stop both."""
    data_dir = ROOT / ".dev-data" / "server"
    server = subprocess.Popen(
        [
            str(python),
            "-m",
            "image360_server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--demo",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = ""
        for line in server.stdout:
            print(line, end="", flush=True)
            if line.startswith("READY "):
                url = line.split()[1].rstrip("/")
                break
        if not url:
            print("The local server did not start (see above).", file=sys.stderr)
            return 1
        # Keep draining its output, or a full pipe would block the server.
        threading.Thread(target=_echo, args=(server.stdout,), daemon=True).start()
        env = dict(os.environ, THETADESK_PASSWORD=DEMO_PASSWORD)
        app = [str(python), "-m", "thetadesk.gui", "--server", url, "--username", DEMO_USER]
        return subprocess.run([*app, *extra], env=env).returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def run_tests(python: Path, extra: list[str]) -> int:
    return subprocess.run([str(python), "-m", "pytest", *extra], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    python = ensure_venv()
    if argv[0] == "run":
        return run_app(python, argv[1:])
    return run_tests(python, argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
