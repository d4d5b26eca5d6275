"""A stand-in OS keychain for the start-up benchmark: "Remember me" needs a keychain.

The machines that run the benchmarks have no Secret Service, Keychain or Credential Manager,
and keyring's null backend remembers nothing, so a returning user's start could not be
measured. This backend keeps passwords in the JSON file named by THETADESK_BENCH_KEYCHAIN
(a throwaway folder of the benchmark's own). Never use it for real secrets.

    PYTHON_KEYRING_BACKEND=benchmarks.keychain_standin.StandInKeychain
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class StandInKeychain(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # what a real OS keychain reports

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["THETADESK_BENCH_KEYCHAIN"])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path().read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(data), encoding="utf-8")
