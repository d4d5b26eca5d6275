"""An in-memory stand-in for the OS keychain, for tests of "Remember me".

It looks secure to thetadesk (a real backend's priority), behaves like one (deleting what is
not there raises PasswordDeleteError), and can be made locked to test a keychain that
refuses. The test run's own backend is the null one, which makes every session memory-only.
"""

from __future__ import annotations

import keyring.backend
import keyring.errors


class MemoryKeychain(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]  # what a real OS keychain reports

    def __init__(self, locked: bool = False) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.locked = locked

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("nothing stored")
        del self.entries[(service, username)]
