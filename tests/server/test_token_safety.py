"""Tokens: single-use refresh tokens, logout, inactive and deleted users, revocation, pk claims."""

from __future__ import annotations

import base64
import json
import secrets
import threading

import pytest
import requests

from tests.server.api_client import TIMEOUT, bearer, obtain_tokens
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer

TRIALS = 12
RACERS = 6


def _refresh(server: LiveServer, refresh: str) -> requests.Response:
    return requests.post(f"{server.url}/api/token/refresh/", json={"refresh": refresh},
                         timeout=TIMEOUT)


def _protected(server: LiveServer, access: str) -> requests.Response:
    return requests.get(f"{server.url}/api/protected/", headers=bearer(access), timeout=TIMEOUT)


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _new_user(server: LiveServer) -> tuple[str, str]:
    username, password = f"user-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    server.add_user(username, password)
    return username, password


def _race_refreshes(server: LiveServer, refresh: str) -> list[requests.Response]:
    """RACERS threads send the same refresh token, released together by a barrier."""
    start = threading.Barrier(RACERS)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def race() -> None:
        start.wait(timeout=30)
        response = _refresh(server, refresh)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == RACERS
    return answers


def test_concurrent_refreshes_with_one_token_give_at_most_one_success(
        live_server: LiveServer) -> None:
    refresh = obtain_tokens(live_server.url, DEMO_USERNAME, DEMO_PASSWORD)["refresh"]
    for trial in range(TRIALS):
        answers = _race_refreshes(live_server, refresh)

        winners = [r for r in answers if r.status_code == 200]
        losers = [r for r in answers if r.status_code != 200]
        # At most one may win; exactly one does, since nothing else can fail here.
        # Status codes only in messages: the bodies hold live tokens.
        assert len(winners) == 1, (trial, [r.status_code for r in answers])
        assert all(r.status_code == 401 and r.json()["code"] == "token_not_valid"
                   for r in losers), [r.status_code for r in losers]
        refresh = winners[0].json()["refresh"]
        # The winner's pair works; the raced token is spent for good.
        assert _protected(live_server, winners[0].json()["access"]).status_code == 200
    assert _refresh(live_server, refresh).status_code == 200


def test_logout_blacklists_the_refresh_token(live_server: LiveServer) -> None:
    tokens = obtain_tokens(live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    response = requests.post(f"{live_server.url}/api/logout/",
                             json={"refresh": tokens["refresh"]}, timeout=TIMEOUT)

    assert response.status_code == 200, response.text
    assert response.json()["detail"]
    refused = _refresh(live_server, tokens["refresh"])
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    twice = requests.post(f"{live_server.url}/api/logout/", json={"refresh": tokens["refresh"]},
                          timeout=TIMEOUT)
    assert twice.status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": "not.a.token"}])
def test_logout_needs_a_valid_refresh_token(live_server: LiveServer, body: dict) -> None:
    response = requests.post(f"{live_server.url}/api/logout/", json=body, timeout=TIMEOUT)

    assert response.status_code in {400, 401}
    assert response.json()["retryable"] is False


def test_access_token_cannot_be_used_as_refresh_token(live_server: LiveServer) -> None:
    tokens = obtain_tokens(live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    response = _refresh(live_server, tokens["access"])

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_inactive_user_cannot_sign_in_refresh_or_use_a_token(live_server: LiveServer) -> None:
    username, password = _new_user(live_server)
    tokens = obtain_tokens(live_server.url, username, password)
    assert _protected(live_server, tokens["access"]).status_code == 200

    completed = live_server.manage("deactivateuser", username)
    assert completed.returncode == 0, completed.stderr

    used = _protected(live_server, tokens["access"])
    assert used.status_code == 401 and used.json()["code"] == "user_inactive"
    refreshed = _refresh(live_server, tokens["refresh"])
    assert refreshed.status_code == 401 and refreshed.json()["code"] == "no_active_account"
    signed_in = requests.post(f"{live_server.url}/api/token/",
                              json={"username": username, "password": password}, timeout=TIMEOUT)
    assert signed_in.status_code == 401
    assert signed_in.json()["detail"] == "No active account found with the given credentials"

    live_server.add_user(username, password)  # adduser activates again
    assert _protected(live_server, tokens["access"]).status_code == 200


def test_tokens_name_the_user_by_primary_key(live_server: LiveServer) -> None:
    username, password = _new_user(live_server)
    tokens = obtain_tokens(live_server.url, username, password)
    claims = _claims(tokens["access"])
    assert str(claims["user_id"]).isdigit()  # the primary key (simplejwt sends it as text)
    assert username not in json.dumps(claims)

    # The same user name for a new account is a new primary key: old tokens do not carry over.
    deleted = live_server.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.filter(username={username!r}).delete()")
    assert deleted.returncode == 0, deleted.stderr
    live_server.add_user(username, password)

    used = _protected(live_server, tokens["access"])
    assert used.status_code == 401 and used.json()["code"] == "user_not_found"
    refreshed = _refresh(live_server, tokens["refresh"])
    assert refreshed.status_code == 401 and refreshed.json()["code"] == "no_active_account"
    fresh = obtain_tokens(live_server.url, username, password)
    assert _claims(fresh["access"])["user_id"] != claims["user_id"]


def test_changing_the_password_revokes_tokens(live_server: LiveServer) -> None:
    username, password = _new_user(live_server)
    tokens = obtain_tokens(live_server.url, username, password)

    live_server.add_user(username, password + "-changed")

    used = _protected(live_server, tokens["access"])
    assert used.status_code == 401 and used.json()["code"] == "password_changed"
    refreshed = _refresh(live_server, tokens["refresh"])
    assert refreshed.status_code == 401 and refreshed.json()["code"] == "password_changed"
