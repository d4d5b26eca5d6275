"""Bearer tokens held in memory, refreshed by exactly one thread at a time.

Several upload threads can hit an expired access token together; the first one refreshes
and the others wait for it and reuse the new token instead of refreshing again (a rotating
server would otherwise see the same refresh token used twice and revoke the session).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from thetadesk.core.errors import SignInRequired

if TYPE_CHECKING:  # requests is imported with the first request (api.Image360Client)
    import requests

RefreshFunction = Callable[[str], tuple[str, str | None]]
"""Takes a refresh token, returns (access, rotated refresh or None); raises SignInRequired."""

# An access token is renewed a little before it expires, not once the server refuses it:
# the server answers an upload's 401 only after taking its whole body, so each photo in
# flight when the token ran out would be sent twice. "A little": the smaller of these.
RENEW_BEFORE_SECONDS = 60.0
RENEW_BEFORE_SHARE = 0.25  # of the token's lifetime (2-second test tokens: at 1.5 s)


def token_lifetime(token: str) -> float | None:
    """`exp - iat` of a JWT in seconds, or None when it does not say (not a JWT, claims
    missing). Not verified: only the timing of a renewal depends on it, and the server
    still checks the token. Both claims are in the server's clock, so the computer's clock
    being off does not matter."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (IndexError, ValueError, TypeError, KeyError, binascii.Error):
        return None
    return lifetime if lifetime > 0 else None


class Secret(str):
    """A str whose repr never shows its value, so a stray log line cannot leak it."""

    def __repr__(self) -> str:
        return "Secret('***')"


class TokenKeeper:
    """Holds the access and refresh tokens; refreshes single-flight.

    `on_refresh_token` is called (under the lock, before the old token is dropped) whenever
    a new refresh token is received, so a keychain copy is never older than the one in use.
    """

    _ended_because = "Sign-in needed: the session has ended."

    def __init__(self, on_refresh_token: Callable[[str | None], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._access: Secret | None = None
        self._refresh: Secret | None = None
        self._on_refresh_token = on_refresh_token
        # When the access token is due, by time.monotonic() and by the wall clock: the
        # monotonic clock stops while the computer sleeps (Linux, macOS); the wall clock
        # can be changed. Due when either says so: at worst one renewal early.
        self._renew_at: float | None = None
        self._renew_at_wall: float | None = None
        self.refresh_count = 0

    @property
    def access(self) -> str | None:
        return self._access

    @property
    def refresh_token(self) -> str | None:
        return self._refresh

    def renewal_due(self) -> bool:
        """True once the access token is close to expiring (see RENEW_BEFORE_SECONDS)."""
        renew_at, renew_at_wall = self._renew_at, self._renew_at_wall
        if renew_at is None or renew_at_wall is None:
            return False
        return time.monotonic() >= renew_at or time.time() >= renew_at_wall

    @property
    def signed_in(self) -> bool:
        return self._access is not None or self._refresh is not None

    def set_listener(self, on_refresh_token: Callable[[str | None], None] | None) -> None:
        """Who is told about new refresh tokens from now on (the window's "Remember me"
        turns the keychain copy on or off for a client made elsewhere)."""
        with self._lock:
            self._on_refresh_token = on_refresh_token

    def set(self, access: str | None, refresh: str | None) -> None:
        with self._lock:
            self._store(access, refresh)

    def clear(self) -> None:
        with self._lock:
            self._access = None
            self._refresh = None
            self._renew_at = None
            if self._on_refresh_token is not None:
                self._on_refresh_token(None)

    def _store(self, access: str | None, refresh: str | None) -> None:
        if refresh is not None and refresh != self._refresh and self._on_refresh_token:
            self._on_refresh_token(refresh)
        self._access = Secret(access) if access else None
        # Counted from now, on this computer's clocks: the server's clock is not ours.
        lifetime = token_lifetime(access) if access else None
        self._renew_at = self._renew_at_wall = None
        if lifetime is not None:
            left = lifetime - min(RENEW_BEFORE_SECONDS, lifetime * RENEW_BEFORE_SHARE)
            self._renew_at = time.monotonic() + left
            self._renew_at_wall = time.time() + left
        if refresh is not None:
            self._refresh = Secret(refresh)

    def refresh(self, failed_access: str | None, do_refresh: RefreshFunction) -> str:
        """Return a fresh access token, refreshing only if nobody did since `failed_access`."""
        with self._lock:
            if self._access is not None and self._access != failed_access:
                return self._access  # another thread refreshed while we waited
            if self._refresh is None:
                raise SignInRequired(self._ended_because)
            try:
                access, rotated = do_refresh(self._refresh)
            except SignInRequired as exc:
                self._access = None
                self._refresh = None
                self._renew_at = None
                # Threads that waited for this refresh fail with the same reason, so the
                # queue says why whichever of them reports first.
                self._ended_because = str(exc)
                raise
            self.refresh_count += 1
            self._store(access, rotated)
            assert self._access is not None
            return self._access


class BearerAuth:
    """Applies one access token to one request (a requests auth callable).

    Going through requests' auth hook (rather than a fixed header) means a ~/.netrc entry
    cannot replace it, and requests strips it when a redirect leaves the host.
    """

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class NoAuth:
    """For requests that carry no token (sign-in, refresh); a requests auth callable.

    Passing an auth object at all stops requests from applying a ~/.netrc entry for the
    host, which would send a stored password to the server unasked.
    """

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request
