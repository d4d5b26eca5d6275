"""/api/health/ for load balancers: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT
from tests.support.live_server import LiveServer, server_env


def test_health_is_ok_without_credentials(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/health/",
                            headers={"Authorization": "Bearer stale.or.garbage"},
                            timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The app is loaded without migrating (the database is away), and asked in-process.
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/api/health/')\n"
        "print(json.dumps({'status': response.status_code, 'body': response.json()}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env=server_env({
            "IMAGE360_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "image360_server.settings",
            "DATABASE_URL": f"postgres://nobody:nothing@127.0.0.1:{port}/image360",
            "IMAGE360_ALLOWED_HOSTS": "testserver",
        }), check=False)

    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["status"] == "unavailable"
    assert answer["body"]["retryable"] is True
    assert "nothing" not in completed.stderr  # the password is never logged


def test_database_url_selects_the_database(live_server: LiveServer) -> None:
    """On the PostgreSQL run every test server really uses PostgreSQL, not its data folder."""
    sqlite_file = live_server.data_dir / "image360.sqlite3"

    if live_server.env.get("DATABASE_URL", "").startswith("postgres"):
        assert not sqlite_file.exists()
    else:
        assert sqlite_file.exists()
