"""Sign-in throttling: failed attempts per address and per user name.

Only failures count, so people who sign in often are never slowed down, while guessing
passwords is limited both per account (whatever address the guesses come from) and per
address (whatever accounts it tries). The history lives in the shared cache (a database
table), so every worker and app server counts together. Concurrent attempts may slip a few
over the limit: it bounds guessing, it is not an exact quota.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class FailureThrottle(SimpleRateThrottle):
    """Asked before an attempt (`blocked_for`), told after a failure (`record_failure`)."""

    def __init__(self, scope: str, ident: str) -> None:
        self.scope = scope
        super().__init__()
        # Hashed: idents are client input (user names), cache keys have a length limit.
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
        self.key = self.cache_format % {"scope": scope, "ident": digest}

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.key

    def blocked_for(self) -> float | None:
        """Seconds to wait before the next attempt, or None if one is allowed now."""
        self._load()
        if len(self.history) >= self.num_requests:
            return self.wait()
        return None

    def record_failure(self) -> None:
        self._load()
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def _load(self) -> None:
        self.now = self.timer()
        history: Any = self.cache.get(self.key, [])
        self.history = [moment for moment in history if moment > self.now - self.duration]


def sign_in_throttles(request: Request) -> list[FailureThrottle]:
    """One throttle for the client's address, one for the user name it tries (if any)."""
    throttles = [FailureThrottle("sign_in_address", _ident(request))]
    username = request.data.get("username") if hasattr(request.data, "get") else None
    if isinstance(username, str):
        throttles.append(FailureThrottle("sign_in_username", username))
    return throttles


def _ident(request: Request) -> str:
    # DRF's address rule: X-Forwarded-For only through NUM_PROXIES trusted proxies.
    return str(_AddressOnly().get_ident(request))


class _AddressOnly(SimpleRateThrottle):
    rate = "1/s"  # unused: only get_ident() is borrowed
