"""Refresh tokens in the keychain; memory-only (and said so) where no secure backend exists."""

from __future__ import annotations

import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from tests.support.keychain import MemoryKeychain
from thetadesk.core.credentials import CredentialStore

SERVER, USER = "https://photos.example/", "tutorial"


class PlaintextKeyring(MemoryKeychain):
    """Named like keyrings.alt's file backend, which keeps secrets readable on disk."""


def test_save_load_delete_per_server_and_user() -> None:
    keychain = MemoryKeychain()
    store = CredentialStore(keychain)
    assert not store.memory_only and store.problem == ""
    store.save(SERVER, USER, "refresh-1")
    store.save("https://other.example", USER, "refresh-2")
    assert store.load(SERVER, USER) == "refresh-1"
    assert store.load(SERVER.rstrip("/"), USER) == "refresh-1"  # same server either way
    assert store.load(SERVER, "someone") is None
    store.delete(SERVER, USER)
    store.delete(SERVER, USER)  # nothing stored: still fine
    assert store.load(SERVER, USER) is None
    assert list(keychain.entries.values()) == ["refresh-2"]


def test_saver_follows_rotation_and_sign_out() -> None:
    store = CredentialStore(MemoryKeychain())
    on_refresh = store.saver(SERVER, USER)
    on_refresh("first")
    on_refresh("rotated")
    assert store.load(SERVER, USER) == "rotated"
    on_refresh(None)
    assert store.load(SERVER, USER) is None


def test_insecure_backends_mean_memory_only_and_say_so() -> None:
    for backend in (
        keyring.backends.fail.Keyring(),
        keyring.backends.null.Keyring(),
        PlaintextKeyring(),
    ):
        store = CredentialStore(backend)
        assert store.memory_only, type(backend)
        assert "sign in again" in store.problem
        store.save(SERVER, USER, "refresh")
        assert store.load(SERVER, USER) == "refresh"  # for this session only
        if isinstance(backend, PlaintextKeyring):
            assert backend.entries == {}  # nothing written to the readable store


def test_a_locked_keychain_falls_back_to_memory() -> None:
    store = CredentialStore(MemoryKeychain(locked=True))
    store.save(SERVER, USER, "refresh")
    assert store.memory_only and store.load(SERVER, USER) == "refresh"
