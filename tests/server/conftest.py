"""Fixtures for the server tests: signed-in accounts on the session's live server."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pytest
import requests

from tests.server.api_client import TIMEOUT, obtain_tokens
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer

# Well inside the server's default 300 s access lifetime.
_REUSE_ACCESS_FOR_SECONDS = 120.0


@dataclass(frozen=True)
class Account:
    username: str
    access: str
    refresh: str


class SignedIn:
    """Signs in once (password hashing is slow on purpose), then refreshes when needed."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self._base_url = base_url
        tokens = obtain_tokens(base_url, username, password)
        self._username, self._refresh = username, tokens["refresh"]
        self._access, self._issued = tokens["access"], time.monotonic()

    def account(self) -> Account:
        if time.monotonic() - self._issued > _REUSE_ACCESS_FOR_SECONDS:
            response = requests.post(f"{self._base_url}/api/token/refresh/",
                                     json={"refresh": self._refresh}, timeout=TIMEOUT)
            assert response.status_code == 200, response.text
            self._access, self._issued = response.json()["access"], time.monotonic()
            # Refresh tokens rotate: the one just used is blacklisted.
            self._refresh = response.json().get("refresh", self._refresh)
        return Account(self._username, self._access, self._refresh)


@pytest.fixture(scope="session")
def demo_sign_in(live_server: LiveServer) -> SignedIn:
    return SignedIn(live_server.url, DEMO_USERNAME, DEMO_PASSWORD)


@pytest.fixture(scope="session")
def other_sign_in(live_server: LiveServer) -> SignedIn:
    username, password = "other-photographer", secrets.token_urlsafe(16)
    live_server.add_user(username, password)
    return SignedIn(live_server.url, username, password)


@pytest.fixture
def demo_account(demo_sign_in: SignedIn) -> Account:
    return demo_sign_in.account()


@pytest.fixture
def other_account(other_sign_in: SignedIn) -> Account:
    return other_sign_in.account()
