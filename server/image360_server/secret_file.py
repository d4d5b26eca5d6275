"""Secrets taken from the environment, or generated once and kept in the data folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(path: Path, env_name: str) -> str:
    """Return the secret from `env_name`, else from `path`, creating that file on first use.

    The file is published with a hard link so that two processes starting at once on a fresh
    data folder still agree on one secret (the loser of the race reads the winner's file).
    """
    from_env = os.environ.get(env_name, "").strip()
    if from_env:
        return from_env
    existing = _read(path)
    if existing:
        return existing
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(64))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)
    secret = _read(path)
    if not secret:
        raise RuntimeError(f"secret file {path} is empty; delete it to generate a new one")
    return secret


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
