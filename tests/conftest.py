"""Shared pytest set-up for the whole suite."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.support.live_server"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_folders() -> Iterator[None]:
    """Keep queues, logs, settings and keychain entries of the test run away from the real
    user's folders. Subprocesses (the CLI) inherit these variables."""
    with tempfile.TemporaryDirectory(prefix="thetadesk-home-") as home:
        names = {
            "XDG_DATA_HOME": "data",
            "XDG_STATE_HOME": "state",
            "XDG_CACHE_HOME": "cache",
            "XDG_CONFIG_HOME": "config",
        }
        saved = {name: os.environ.get(name) for name in [*names, "PYTHON_KEYRING_BACKEND"]}
        for name, sub in names.items():
            os.environ[name] = os.path.join(home, sub)
        # An in-memory-free, file-free backend: tests never write to a real keychain.
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
