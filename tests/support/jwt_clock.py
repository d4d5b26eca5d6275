"""Waiting for a real JWT to expire, for tests against short-lived tokens."""

from __future__ import annotations

import base64
import json
import time


def expiry_of(token: str) -> float:
    """The `exp` claim of a JWT (not verified: the test only needs the time)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return float(json.loads(base64.urlsafe_b64decode(payload))["exp"])


def wait_until_expired(token: str, margin: float = 0.5) -> None:
    """Block until the server will call this token expired.

    This is waiting for the clock, not synchronising with another thread: there is no
    event to wait on, since expiry is the server comparing `exp` with its own time.
    """
    deadline = expiry_of(token) + margin
    while (remaining := deadline - time.time()) > 0:
        time.sleep(min(remaining, 0.2))
