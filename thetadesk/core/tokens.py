"""Bearer tokens held in memory, refreshed by exactly one thread at a time.

Several upload threads can hit an expired access token together; the first one refreshes
and the others wait for it and reuse the new token instead of refreshing again (a rotating
server would otherwise see the same refresh token used twice and revoke the session).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from thetadesk.core.errors import SignInRequired

if TYPE_CHECKING:  # requests is imported with the first request (api.Image360Client)
    import requests

RefreshFunction = Callable[[str], tuple[str, str | None]]
"""Takes a refresh token, returns (access, rotated refresh or None); raises SignInRequired."""


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
        self.refresh_count = 0

    @property
    def access(self) -> str | None:
        return self._access

    @property
    def refresh_token(self) -> str | None:
        return self._refresh

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
            if self._on_refresh_token is not None:
                self._on_refresh_token(None)

    def _store(self, access: str | None, refresh: str | None) -> None:
        if refresh is not None and refresh != self._refresh and self._on_refresh_token:
            self._on_refresh_token(refresh)
        self._access = Secret(access) if access else None
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
