"""Token endpoints behave like simplejwt on the demo server."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from tests.server.api_client import TIMEOUT, bearer, obtain_tokens
from tests.server.conftest import Account
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer


def test_access_token_opens_protected_endpoint(live_server: LiveServer,
                                               demo_account: Account) -> None:
    response = requests.get(f"{live_server.url}/api/protected/",
                            headers=bearer(demo_account.access), timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json() == {"message": "You are authenticated!"}


def test_refresh_rotates_and_the_old_refresh_token_is_refused(live_server: LiveServer) -> None:
    tokens = obtain_tokens(live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    response = requests.post(f"{live_server.url}/api/token/refresh/",
                             json={"refresh": tokens["refresh"]}, timeout=TIMEOUT)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != tokens["refresh"]
    check = requests.get(f"{live_server.url}/api/protected/",
                         headers=bearer(response.json()["access"]), timeout=TIMEOUT)
    assert check.status_code == 200
    reused = requests.post(f"{live_server.url}/api/token/refresh/",
                           json={"refresh": tokens["refresh"]}, timeout=TIMEOUT)
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    assert reused.json()["retryable"] is False
    again = requests.post(f"{live_server.url}/api/token/refresh/",
                          json={"refresh": response.json()["refresh"]}, timeout=TIMEOUT)
    assert again.status_code == 200


def test_wrong_password_gives_simplejwt_detail(live_server: LiveServer) -> None:
    response = requests.post(f"{live_server.url}/api/token/",
                             json={"username": DEMO_USERNAME, "password": "not-the-password"},
                             timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials",
                               "retryable": False}


def test_missing_header_is_refused(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/user-photo/", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.",
                               "retryable": False}


def test_malformed_token_is_token_not_valid(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/protected/", headers=bearer("not.a.jwt"),
                            timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_access_token_then_refresh(
        server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(access_lifetime=2)
    tokens = obtain_tokens(server.url, DEMO_USERNAME, DEMO_PASSWORD)
    issued_by = time.monotonic()
    fresh = requests.get(f"{server.url}/api/protected/", headers=bearer(tokens["access"]),
                         timeout=TIMEOUT)
    assert fresh.status_code == 200

    # exp is whole seconds, rounded down: 2 s after the answer arrived it has surely passed.
    time.sleep(max(0.0, issued_by + 2.1 - time.monotonic()))
    expired = requests.get(f"{server.url}/api/protected/", headers=bearer(tokens["access"]),
                           timeout=TIMEOUT)
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_not_valid"
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")

    refreshed = requests.post(f"{server.url}/api/token/refresh/",
                              json={"refresh": tokens["refresh"]}, timeout=TIMEOUT)
    assert refreshed.status_code == 200
    again = requests.get(f"{server.url}/api/protected/",
                         headers=bearer(refreshed.json()["access"]), timeout=TIMEOUT)
    assert again.status_code == 200
