"""Access tokens that expire mid-session are refreshed once, for every thread at once."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.jwt_clock import wait_until_expired
from thetadesk.core.api import Image360Client
from thetadesk.core.errors import ServerUnreachable, SignInRequired

DEMO_USER, DEMO_PASSWORD = "tutorial", "theta360DotGuide"


@pytest.fixture(scope="module")
def short_token_server(tmp_path_factory):
    from tests.support.live_server import start_server

    with start_server(tmp_path_factory.mktemp("short-token"), access_lifetime=2) as server:
        yield server


def signed_in(server) -> Image360Client:
    client = Image360Client(server.url)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    return client


def count_requests(client: Image360Client) -> list[str]:
    seen: list[str] = []
    client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.path_url))
    return seen


def test_an_access_token_about_to_expire_is_renewed_before_the_call(short_token_server):
    client = signed_in(short_token_server)
    first_access = client.tokens.access
    assert first_access is not None
    client.list_photos()
    assert client.tokens.refresh_count == 0  # fresh: no renewal

    # 2-second tokens are due at 1.5 s (a quarter of the lifetime before the end).
    deadline = time.monotonic() + 10
    while not client.tokens.renewal_due():
        assert time.monotonic() < deadline, "the token never came due"
        time.sleep(0.05)
    requests_seen = count_requests(client)
    assert client.list_photos() == []
    assert client.tokens.refresh_count == 1
    assert client.tokens.access != first_access
    # Renewed first, so the call itself was never refused (an upload is not sent twice).
    assert requests_seen == ["/api/token/refresh/", "/api/user-photo/"]


def test_an_early_renewal_the_server_cannot_do_now_keeps_the_current_token(
    short_token_server, monkeypatch
):
    """A refresh endpoint that is busy or unreachable for a moment must not fail calls
    the current token can still make (the server's refusal is simulated: a real one is
    not busy on demand)."""
    from thetadesk.core import tokens

    client = signed_in(short_token_server)
    first_access = client.tokens.access
    later = time.monotonic() + 1.6  # due by our clock, still valid on the server's
    monkeypatch.setattr(tokens.time, "monotonic", lambda: later)
    assert client.tokens.renewal_due()
    tries: list[str] = []

    def busy(refresh_token: str) -> tuple[str, str | None]:
        tries.append(refresh_token)
        raise ServerUnreachable("the server is busy")

    monkeypatch.setattr(client, "_refresh_call", busy)
    assert client.list_photos() == []
    assert client.tokens.access == first_access and len(tries) == 1
    monkeypatch.undo()  # the server renews again: the next call is renewed first
    monkeypatch.setattr(tokens.time, "monotonic", lambda: later)
    client.list_photos()
    assert client.tokens.access != first_access and client.tokens.refresh_count == 1


def test_a_refused_access_token_is_refreshed_and_the_call_retried(short_token_server):
    client = signed_in(short_token_server)
    first_access = client.tokens.access
    assert first_access is not None
    wait_until_expired(first_access)
    # Handed over again, as a restored session may be: its lifetime counts from now, so
    # only the server's 401 says it has expired.
    client.tokens.set(first_access, client.tokens.refresh_token)
    assert not client.tokens.renewal_due()

    requests_seen = count_requests(client)
    assert client.list_photos() == []
    assert client.tokens.refresh_count == 1
    assert client.tokens.access != first_access
    assert requests_seen == ["/api/user-photo/", "/api/token/refresh/", "/api/user-photo/"]


@pytest.mark.parametrize("known", ["due for renewal", "refused by the server"])
def test_many_threads_hitting_an_expired_token_refresh_once(short_token_server, known):
    client = signed_in(short_token_server)
    access = client.tokens.access
    assert access is not None
    wait_until_expired(access)
    if known == "refused by the server":  # as in the test above: only a 401 tells
        client.tokens.set(access, client.tokens.refresh_token)
        assert not client.tokens.renewal_due()

    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            client.check_session()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert client.tokens.refresh_count == 1


def test_a_refused_refresh_asks_for_sign_in_without_looping(short_token_server):
    client = signed_in(short_token_server)
    client.tokens.set("not-a-token", "not-a-refresh-token")
    requests_seen = count_requests(client)
    with pytest.raises(SignInRequired):
        client.list_photos()
    assert requests_seen == ["/api/user-photo/", "/api/token/refresh/"]
    assert not client.tokens.signed_in
    # Signing in again works, and the session goes on.
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    assert client.list_photos() == []
