"""Run the real image360 server as a subprocess for tests, plus pytest fixtures for it.

Loaded as a pytest plugin from tests/conftest.py. The server must be importable by
`sys.executable` (`pip install -e server`).

By default each server keeps SQLite in its own data folder. With IMAGE360_TEST_DATABASE_URL
set to a PostgreSQL URL whose user may create databases (for example
`postgres://image360:secret@127.0.0.1:5432/postgres`), each server gets a fresh database of
its own on that PostgreSQL server instead, dropped again when the server stops.
"""

from __future__ import annotations

import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import pytest

DEMO_USERNAME = "tutorial"
DEMO_PASSWORD = "theta360DotGuide"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
LOG_NAME = "live-server.log"

# Inherited settings would make tests depend on the developer's shell.
_SCRUBBED_ENV_PREFIXES = ("IMAGE360_", "DJANGO_")
_SCRUBBED_ENV_NAMES = ("DATABASE_URL",)
TEST_DATABASE_URL_ENV = "IMAGE360_TEST_DATABASE_URL"
_EOF = object()


class ServerStartError(RuntimeError):
    """The server exited or stayed silent before printing its READY line."""


class LiveServer:
    """A running server subprocess; stop() or leave the `with` block to end it."""

    def __init__(self, url: str, data_dir: Path, process: subprocess.Popen[str],
                 stdout_reader: threading.Thread, log_path: Path,
                 env: Mapping[str, str] | None = None,
                 database: TestDatabase | None = None) -> None:
        self.url = url
        self.data_dir = data_dir
        self.process = process
        self.log_path = log_path
        # The settings the server was started with (management commands need the same).
        self.env = dict(env or {})
        self.database = database
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
        completed = self.manage("adduser", username, "--password-stdin", input=f"{password}\n")
        if completed.returncode != 0:
            raise RuntimeError(f"adduser {username} failed: {completed.stderr.strip()}")

    def manage(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `image360-server-manage ARGS` on this server's data folder and database."""
        return subprocess.run(
            [sys.executable, "-m", "image360_server.manage", "--data-dir", str(self.data_dir),
             *args],
            input=input, capture_output=True, text=True, timeout=60,
            env=server_env(self.env), check=False,
        )

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_server(data_dir: Path, *, demo: bool = True, env: Mapping[str, str] | None = None,
                 access_lifetime: float | None = None,
                 ready_timeout: float = READY_TIMEOUT_SECONDS,
                 extra_args: tuple[str, ...] = ()) -> LiveServer:
    """Start `python -m image360_server` on a free loopback port; return once it is READY.

    A data folder that already has a database keeps it: restarting on the same folder (or
    with the same `env`) reaches the same photos and accounts.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "image360_server", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(data_dir), *extra_args]
    if demo:
        command.append("--demo")
    if access_lifetime is not None:
        command += ["--access-lifetime", str(access_lifetime)]
    settings = dict(env or {})
    database = None
    if "DATABASE_URL" not in settings and os.environ.get(TEST_DATABASE_URL_ENV):
        database = TestDatabase.for_data_dir(os.environ[TEST_DATABASE_URL_ENV], data_dir)
        settings["DATABASE_URL"] = database.url
    log_path = data_dir / LOG_NAME
    # stderr goes to a file so a chatty server can never block on a full pipe.
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", env=server_env(settings),
        )
    lines: queue.Queue[object] = queue.Queue()
    reader = threading.Thread(target=_pump_stdout, args=(process, lines), daemon=True,
                              name=f"live-server-stdout-{process.pid}")
    reader.start()
    server = LiveServer("", data_dir, process, reader, log_path, env=settings)
    try:
        server.url = _wait_for_ready(lines, ready_timeout)
    except ServerStartError as error:
        server.stop(timeout=5)
        raise ServerStartError(f"{error}\n--- server log ---\n{server.log()}") from None
    except BaseException:
        server.stop(timeout=5)
        raise
    return server


class TestDatabase:
    """A PostgreSQL database of one test server's data folder, dropped when the session ends.

    Restarting a server on the same data folder reaches the same database again.
    """

    _lock = threading.Lock()

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin_url = admin_url
        self.name = name
        self.url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))

    @classmethod
    def for_data_dir(cls, admin_url: str, data_dir: Path) -> TestDatabase:
        marker = data_dir / "test-database-name"
        with cls._lock:
            if marker.exists():
                return cls(admin_url, marker.read_text(encoding="ascii").strip())
            database = cls(admin_url, f"image360_test_{secrets.token_hex(6)}")
            _admin_execute(admin_url, f'CREATE DATABASE "{database.name}"')
            _databases_to_drop.add((admin_url, database.name))
            marker.write_text(database.name, encoding="ascii")
            return database


_databases_to_drop: set[tuple[str, str]] = set()


def _admin_execute(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(statement)


def drop_test_databases() -> None:
    """Drop every database the session's test servers made."""
    while _databases_to_drop:
        admin_url, name = _databases_to_drop.pop()
        _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without IMAGE360_*/DJANGO_* settings, plus `extra`."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(_SCRUBBED_ENV_PREFIXES)
                   and key not in _SCRUBBED_ENV_NAMES}
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


@pytest.hookimpl(trylast=True)  # after the session fixtures stopped their servers
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_test_databases()


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
