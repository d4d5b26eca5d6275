"""Errors under /api/ are JSON, never an HTML page."""

from __future__ import annotations

import requests

from tests.server.api_client import TIMEOUT, bearer
from tests.server.conftest import Account
from tests.support.live_server import LiveServer


def test_unknown_api_path_is_json_404(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/no-such-endpoint/", timeout=TIMEOUT)

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found.", "retryable": False}


def test_wrong_method_is_json_405(live_server: LiveServer, demo_account: Account) -> None:
    response = requests.get(f"{live_server.url}/api/upload-photo/",
                            headers=bearer(demo_account.access), timeout=TIMEOUT)

    assert response.status_code == 405
    assert "detail" in response.json()


def test_unknown_media_is_404(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/media/photos/{'0' * 32}.jpg", timeout=TIMEOUT)

    assert response.status_code == 404
