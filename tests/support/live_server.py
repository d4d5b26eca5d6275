"""Run the real image360 server as a subprocess for tests, plus pytest fixtures for it.

Loaded as a pytest plugin from tests/conftest.py. The server must be importable by
`sys.executable` (`pip install -e server`).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

import pytest

DEMO_USERNAME = "tutorial"
DEMO_PASSWORD = "theta360DotGuide"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
LOG_NAME = "live-server.log"

# Inherited settings would make tests depend on the developer's shell.
_SCRUBBED_ENV_PREFIXES = ("IMAGE360_", "DJANGO_")
_EOF = object()


class ServerStartError(RuntimeError):
    """The server exited or stayed silent before printing its READY line."""


class LiveServer:
    """A running server subprocess; stop() or leave the `with` block to end it."""

    def __init__(self, url: str, data_dir: Path, process: subprocess.Popen[str],
                 stdout_reader: threading.Thread, log_path: Path) -> None:
        self.url = url
        self.data_dir = data_dir
        self.process = process
        self.log_path = log_path
        self._stdout_reader = stdout_reader

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Terminate (SIGTERM on POSIX), wait up to `timeout`, kill if needed; return the code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._stdout_reader.join(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def log(self) -> str:
        """The server's stderr so far (its log)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def add_user(self, username: str, password: str) -> None:
        """Create (or reset) an account in this server's data folder."""
        completed = subprocess.run(
            [sys.executable, "-m", "image360_server.manage", "--data-dir", str(self.data_dir),
             "adduser", username, "--password-stdin"],
            input=f"{password}\n", capture_output=True, text=True, timeout=60,
            env=server_env(None), check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"adduser {username} failed: {completed.stderr.strip()}")

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_server(data_dir: Path, *, demo: bool = True, env: Mapping[str, str] | None = None,
                 access_lifetime: float | None = None,
                 ready_timeout: float = READY_TIMEOUT_SECONDS) -> LiveServer:
    """Start `python -m image360_server` on a free loopback port; return once it is READY."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "image360_server", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(data_dir)]
    if demo:
        command.append("--demo")
    if access_lifetime is not None:
        command += ["--access-lifetime", str(access_lifetime)]
    log_path = data_dir / LOG_NAME
    # stderr goes to a file so a chatty server can never block on a full pipe.
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", env=server_env(env),
        )
    lines: queue.Queue[object] = queue.Queue()
    reader = threading.Thread(target=_pump_stdout, args=(process, lines), daemon=True,
                              name=f"live-server-stdout-{process.pid}")
    reader.start()
    server = LiveServer("", data_dir, process, reader, log_path)
    try:
        server.url = _wait_for_ready(lines, ready_timeout)
    except ServerStartError as error:
        server.stop(timeout=5)
        raise ServerStartError(f"{error}\n--- server log ---\n{server.log()}") from None
    except BaseException:
        server.stop(timeout=5)
        raise
    return server


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without IMAGE360_*/DJANGO_* settings, plus `extra`."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(_SCRUBBED_ENV_PREFIXES)}
    environment["PYTHONIOENCODING"] = "utf-8"
    environment["PYTHONUNBUFFERED"] = "1"
    environment.update(extra or {})
    return environment


def _pump_stdout(process: subprocess.Popen[str], lines: queue.Queue[object]) -> None:
    # Keeps draining after READY so the server never blocks writing to stdout.
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\r\n"))
    lines.put(_EOF)


def _wait_for_ready(lines: queue.Queue[object], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ServerStartError(f"no READY line within {timeout:.0f} s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is _EOF:
            raise ServerStartError("the server exited before it was ready")
        if isinstance(line, str) and line.startswith("READY "):
            return line.removeprefix("READY ").strip().rstrip("/")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the whole session, with the demo account; tests share its data."""
    with start_server(tmp_path_factory.mktemp("image360-live") / "data") as server:
        yield server


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Start extra servers (own data folder each, custom env); all stop at teardown."""
    started: list[LiveServer] = []

    def start(*, demo: bool = True, env: Mapping[str, str] | None = None,
              access_lifetime: float | None = None) -> LiveServer:
        server = start_server(tmp_path_factory.mktemp("image360-extra") / "data", demo=demo,
                              env=env, access_lifetime=access_lifetime)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
