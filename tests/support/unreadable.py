"""A folder that cannot be listed, for tests that run as root (whom permissions do not stop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def refuse_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """os.scandir refuses `folder` as it would for a user without permission."""
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
