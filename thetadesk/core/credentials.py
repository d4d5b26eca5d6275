""" "Remember me": the refresh token in the OS keychain, through keyring.

Only the refresh token is kept (the access token lives in memory only), one entry per server
and user name. Where keyring has no secure backend (a headless Linux box without a Secret
Service, or a configured plaintext/null backend) nothing is written anywhere: the session is
memory-only and `memory_only` tells the window to say so. Never a plaintext file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keyring
import keyring.backend
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "thetadesk"

# Backends that store nothing or store it readably on disk (keyrings.alt's file backends).
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file")


def _is_secure(backend: keyring.backend.KeyringBackend) -> bool:
    children = getattr(backend, "backends", None)
    if children is not None:  # the chainer: secure when one of its backends is
        return any(_is_secure(child) for child in children)
    module = type(backend).__module__
    if module.startswith(_INSECURE_MODULES):
        return False
    if type(backend).__name__ == "PlaintextKeyring":
        return False
    priority = getattr(backend, "priority", 1)
    return not (isinstance(priority, int | float) and priority <= 0)


def account_key(server_url: str, username: str) -> str:
    return f"{username}@{server_url.rstrip('/')}/"


class CredentialStore:
    """load/save/delete of one refresh token per (server, username)."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self.memory_only = not _is_secure(self._backend)
        self._memory: dict[str, str] = {}
        self.problem = (
            "No secure keychain is available: you will have to sign in again next time."
            if self.memory_only
            else ""
        )

    def load(self, server_url: str, username: str) -> str | None:
        key = account_key(server_url, username)
        if self.memory_only:
            return self._memory.get(key)
        try:
            return self._backend.get_password(SERVICE, key)
        except keyring.errors.KeyringError as exc:
            self._fall_back(exc)
            return self._memory.get(key)

    def save(self, server_url: str, username: str, refresh_token: str) -> None:
        key = account_key(server_url, username)
        if not self.memory_only:
            try:
                self._backend.set_password(SERVICE, key, refresh_token)
                return
            except keyring.errors.KeyringError as exc:
                self._fall_back(exc)
        self._memory[key] = refresh_token

    def delete(self, server_url: str, username: str) -> None:
        key = account_key(server_url, username)
        self._memory.pop(key, None)
        if self.memory_only:
            return
        try:
            self._backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        except keyring.errors.KeyringError as exc:
            self._fall_back(exc)

    def _fall_back(self, exc: Exception) -> None:
        # A locked or broken keychain: keep going memory-only instead of failing the sign-in.
        log.warning(
            "keychain unavailable (%s); keeping the session in memory only", type(exc).__name__
        )
        self.memory_only = True
        self.problem = "The keychain could not be used: you will have to sign in again next time."

    def saver(self, server_url: str, username: str) -> Callable[[str | None], None]:
        """A callback for Image360Client(on_refresh_token=...): save or delete as tokens change."""

        def on_refresh_token(token: str | None) -> None:
            if token is None:
                self.delete(server_url, username)
            else:
                self.save(server_url, username, token)

        return on_refresh_token
