"""The command itself: configuration errors, clean stop on SIGTERM/SIGINT, restarts."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT, bearer, obtain_tokens, own_photos, upload
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, server_env, start_server


def _run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "image360_server", *args], capture_output=True,
                          text=True, timeout=60, env=server_env(env), check=False)


def test_data_dir_is_required() -> None:
    completed = _run_cli("--port", "0")

    assert completed.returncode == 2
    assert "--data-dir" in completed.stderr


def test_bad_lifetime_in_environment_stops_with_a_message(tmp_path: Path) -> None:
    completed = _run_cli("--port", "0", "--data-dir", str(tmp_path / "data"),
                         env={"IMAGE360_ACCESS_TOKEN_LIFETIME": "five minutes"})

    assert completed.returncode == 2
    assert "IMAGE360_ACCESS_TOKEN_LIFETIME" in completed.stderr
    assert completed.stdout == ""


def test_bad_throttle_rate_stops_with_a_message(tmp_path: Path) -> None:
    completed = _run_cli("--port", "0", "--data-dir", str(tmp_path / "data"),
                         env={"IMAGE360_SIGN_IN_FAILURES_PER_USERNAME": "lots"})

    assert completed.returncode == 2
    assert "IMAGE360_SIGN_IN_FAILURES_PER_USERNAME" in completed.stderr
    assert completed.stdout == ""


def test_rotation_without_blacklist_is_refused_by_the_system_check(tmp_path: Path) -> None:
    completed = _run_cli("--port", "0", "--data-dir", str(tmp_path / "data"),
                         env={"IMAGE360_ROTATE_REFRESH_TOKENS": "1",
                              "IMAGE360_BLACKLIST_AFTER_ROTATION": "0"})

    assert completed.returncode == 2
    assert "image360.E001" in completed.stderr
    assert completed.stdout == ""


def test_rotation_without_the_blacklist_app_fails_the_system_check(tmp_path: Path) -> None:
    # Settings cannot drop the app from the environment, so the check runs on overridden
    # settings in a separate process (Django is never set up inside the test process).
    script = (
        "import django\n"
        "from django.conf import settings\n"
        "from django.test.utils import override_settings\n"
        "django.setup()\n"
        "from image360_server.accounts.checks import BLACKLIST_APP, rotation_needs_blacklist\n"
        "assert rotation_needs_blacklist() == []\n"
        "apps = [app for app in settings.INSTALLED_APPS if app != BLACKLIST_APP]\n"
        "with override_settings(INSTALLED_APPS=apps):\n"
        "    print(' '.join(error.id for error in rotation_needs_blacklist()))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env=server_env({"IMAGE360_DATA_DIR": str(tmp_path / "data"),
                        "DJANGO_SETTINGS_MODULE": "image360_server.settings"}), check=False)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["image360.E002"]


def test_port_in_use_stops_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        completed = _run_cli("--port", str(port), "--data-dir", str(tmp_path / "data"))

    assert completed.returncode == 1
    assert "cannot listen on 127.0.0.1" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_restart_keeps_photos_keys_and_tokens(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with start_server(data_dir) as first:
        tokens = obtain_tokens(first.url, DEMO_USERNAME, DEMO_PASSWORD)
        photo = upload(first.url, tokens["access"], write_jpeg(tmp_path / "kept.jpg"),
                       title="kept").json()
        terminated_with = first.stop()  # SIGTERM on POSIX

    with start_server(data_dir, demo=False) as second:
        # Same signing key from the data folder: the old token is still good.
        check = requests.get(f"{second.url}/api/protected/", headers=bearer(tokens["access"]),
                             timeout=TIMEOUT)
        assert check.status_code == 200
        assert [p["id"] for p in own_photos(second.url, tokens["access"])] == [photo["id"]]
        if os.name == "posix":
            second.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            assert second.process.wait(timeout=15) == 0

    if os.name == "posix":
        assert terminated_with == 0, first.log()
        assert "Traceback" not in first.log() + second.log()
        for name in ("secret_key", "jwt_signing_key"):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600


def test_links_say_https_only_behind_a_trusted_proxy(tmp_path: Path) -> None:
    proto = {"X-Forwarded-Proto": "https"}
    with start_server(tmp_path / "direct") as direct, \
            start_server(tmp_path / "proxied", env={"IMAGE360_TRUSTED_PROXIES": "1"}) as proxied:
        for server, scheme in ((direct, "http"), (proxied, "https")):
            access = obtain_tokens(server.url, DEMO_USERNAME, DEMO_PASSWORD)["access"]
            upload(server.url, access, write_jpeg(tmp_path / f"{scheme}.jpg"), title=scheme)
            response = requests.get(f"{server.url}/api/user-photo/",
                                    headers={**bearer(access), **proto}, timeout=TIMEOUT)
            photo = response.json()[0]
            assert photo["image"].startswith(f"{scheme}://"), scheme
            assert photo["thumb_url"].startswith(f"{scheme}://"), scheme
