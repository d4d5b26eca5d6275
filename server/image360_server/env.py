"""Environment variables the server reads, and strict parsers for them.

Parsing is strict on purpose: a typo in a lifetime or size limit must stop the server with a
clear message instead of silently falling back to a default.
"""

from __future__ import annotations

import os

DATA_DIR = "IMAGE360_DATA_DIR"
SECRET_KEY = "IMAGE360_SECRET_KEY"
JWT_SIGNING_KEY = "IMAGE360_JWT_SIGNING_KEY"
ACCESS_TOKEN_LIFETIME = "IMAGE360_ACCESS_TOKEN_LIFETIME"
REFRESH_TOKEN_LIFETIME = "IMAGE360_REFRESH_TOKEN_LIFETIME"
ROTATE_REFRESH_TOKENS = "IMAGE360_ROTATE_REFRESH_TOKENS"
MAX_UPLOAD_BYTES = "IMAGE360_MAX_UPLOAD_BYTES"
ALLOWED_HOSTS = "IMAGE360_ALLOWED_HOSTS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting taken from the environment or the command line is unusable."""


def positive_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of 1/0, true/false, yes/no, on/off, got {raw!r}")


def string_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
