"""Backoff while the server is away: grows, caps, jitters, honours Retry-After."""

from __future__ import annotations

from thetadesk.core.engine import Backoff


def test_grows_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, maximum=30.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_jitter_spreads_delays_within_bounds() -> None:
    backoff = Backoff(initial=10.0, factor=2.0, maximum=100.0, jitter=0.5)
    assert backoff.delay(1, rand=lambda: 0.0) == 5.0
    assert backoff.delay(1, rand=lambda: 1.0) == 10.0


def test_retry_after_is_a_floor_with_a_ceiling() -> None:
    backoff = Backoff(initial=1.0, jitter=0.0, max_retry_after=600.0)
    assert backoff.delay(1, retry_after=42.0) == 42.0
    assert backoff.delay(1, retry_after=0.0) == 1.0
    assert backoff.delay(1, retry_after=86400.0) == 600.0
