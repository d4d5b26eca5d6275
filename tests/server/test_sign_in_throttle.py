"""Sign-in is throttled by failures per user name and per address: 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.server.api_client import TIMEOUT
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer


def _sign_in(server: LiveServer, username: str, password: str,
             forwarded_for: str | None = None) -> requests.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return requests.post(f"{server.url}/api/token/",
                         json={"username": username, "password": password},
                         headers=headers, timeout=TIMEOUT)


def _assert_throttled(response: requests.Response) -> None:
    assert response.status_code == 429, response.status_code
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["retryable"] is True
    assert response.json()["detail"]


def test_failures_are_limited_per_user_name_and_per_forwarded_address(
        server_factory: Callable[..., LiveServer]) -> None:
    # One trusted proxy: each attempt comes from the address X-Forwarded-For names.
    server = server_factory(env={"IMAGE360_SIGN_IN_FAILURES_PER_USERNAME": "3/hour",
                                 "IMAGE360_SIGN_IN_FAILURES_PER_ADDRESS": "3/hour",
                                 "IMAGE360_TRUSTED_PROXIES": "1"})
    server.add_user("bystander", "bystander-password")
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert _sign_in(server, DEMO_USERNAME, "wrong", address).status_code == 401

    # The user name is spent, from any address, even with the right password...
    _assert_throttled(_sign_in(server, DEMO_USERNAME, DEMO_PASSWORD, "198.51.100.9"))
    # ...while other accounts still sign in from there.
    assert _sign_in(server, "bystander", "bystander-password", "198.51.100.9").status_code == 200

    # Two more failures from .1 (other names) spend that address, for every account.
    for name in ("ann", "bob"):
        assert _sign_in(server, name, "guess", "198.51.100.1").status_code == 401
    _assert_throttled(_sign_in(server, "bystander", "bystander-password", "198.51.100.1"))
    assert _sign_in(server, "bystander", "bystander-password", "198.51.100.2").status_code == 200


def test_failures_per_address_are_limited_across_user_names(
        server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"IMAGE360_SIGN_IN_FAILURES_PER_ADDRESS": "3/min"})
    for name in ("ann", "bob", "cy"):
        assert _sign_in(server, name, "guess").status_code == 401

    _assert_throttled(_sign_in(server, DEMO_USERNAME, DEMO_PASSWORD))
    # X-Forwarded-For is not trusted by default: naming another address changes nothing.
    _assert_throttled(_sign_in(server, DEMO_USERNAME, DEMO_PASSWORD, "203.0.113.5"))


def test_successful_sign_ins_are_not_counted(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"IMAGE360_SIGN_IN_FAILURES_PER_USERNAME": "2/hour",
                                 "IMAGE360_SIGN_IN_FAILURES_PER_ADDRESS": "2/hour"})

    codes = [_sign_in(server, DEMO_USERNAME, DEMO_PASSWORD).status_code for _ in range(4)]

    assert codes == [200] * 4
