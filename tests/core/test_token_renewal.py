"""When an access token is renewed: from its own lifetime, a little before it ends."""

from __future__ import annotations

import base64
import json

import pytest

from thetadesk.core import tokens
from thetadesk.core.tokens import TokenKeeper, token_lifetime


def jwt(claims: object) -> str:
    def part(value: object) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


class Clock:
    """time.monotonic (`now`) and time.time (`wall`), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tokens.time, "monotonic", fake)
    monkeypatch.setattr(tokens.time, "time", lambda: fake.wall)
    return fake


def test_the_lifetime_is_exp_minus_iat_whatever_the_clocks_say() -> None:
    # Issued far in the past or the future by this computer's clock: only the span counts.
    assert token_lifetime(jwt({"iat": 100, "exp": 400, "user_id": 1})) == 300
    assert token_lifetime(jwt({"iat": 4_000_000_000, "exp": 4_000_000_002})) == 2


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b.c",
        "a.%%%.c",
        jwt({"exp": 400}),  # no iat
        jwt({"iat": 400}),  # no exp
        jwt({"iat": 400, "exp": 300}),  # ends before it starts
        jwt({"iat": "soon", "exp": 300}),
        jwt([1, 2, 3]),
        "eyJhbGciOiJIUzI1NiJ9.gA.c2ln",  # a payload that is not UTF-8
    ],
)
def test_a_token_that_does_not_say_has_no_lifetime(token: str) -> None:
    assert token_lifetime(token) is None


@pytest.mark.parametrize(
    ("lifetime", "due_after"),
    [(300, 240), (3600, 3540), (2, 1.5), (60, 45)],  # a minute early at most, else a quarter
)
def test_renewal_comes_due_a_little_before_the_end(
    clock: Clock, lifetime: float, due_after: float
) -> None:
    keeper = TokenKeeper()
    keeper.set(jwt({"iat": 50, "exp": 50 + lifetime}), "refresh")
    clock.now += due_after - 0.01
    assert not keeper.renewal_due()
    clock.now += 0.02
    assert keeper.renewal_due()


def test_renewal_counts_from_each_new_token(clock: Clock) -> None:
    keeper = TokenKeeper()
    keeper.set(jwt({"iat": 0, "exp": 300}), "refresh")
    clock.now += 250
    assert keeper.renewal_due()
    renewed = keeper.refresh(keeper.access, lambda refresh: (jwt({"iat": 250, "exp": 550}), None))
    assert renewed == keeper.access
    assert not keeper.renewal_due()
    clock.now += 241
    assert keeper.renewal_due()


def test_without_a_lifetime_or_a_session_nothing_is_due(clock: Clock) -> None:
    keeper = TokenKeeper()
    assert not keeper.renewal_due()
    keeper.set("opaque-token", "refresh")
    clock.now += 10**6
    assert not keeper.renewal_due()  # the server's 401 is what tells
    keeper.set(jwt({"iat": 0, "exp": 300}), "refresh")
    clock.now += 10**6
    keeper.clear()
    assert not keeper.renewal_due()


def test_after_the_computer_slept_the_token_is_due(clock: Clock) -> None:
    # The monotonic clock stands still while the computer sleeps (Linux, macOS); the wall
    # clock does not.
    keeper = TokenKeeper()
    keeper.set(jwt({"iat": 0, "exp": 300}), "refresh")
    clock.now += 10
    clock.wall += 3600
    assert keeper.renewal_due()
