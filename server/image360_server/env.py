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
BLACKLIST_AFTER_ROTATION = "IMAGE360_BLACKLIST_AFTER_ROTATION"
MAX_UPLOAD_BYTES = "IMAGE360_MAX_UPLOAD_BYTES"
ALLOWED_HOSTS = "IMAGE360_ALLOWED_HOSTS"
SIGN_IN_FAILURES_PER_ADDRESS = "IMAGE360_SIGN_IN_FAILURES_PER_ADDRESS"
SIGN_IN_FAILURES_PER_USERNAME = "IMAGE360_SIGN_IN_FAILURES_PER_USERNAME"
TRUSTED_PROXIES = "IMAGE360_TRUSTED_PROXIES"
MEDIA_URL_MAX_AGE = "IMAGE360_MEDIA_URL_MAX_AGE"
# The usual name, so platforms that provision a database can hand it over as is.
DATABASE_URL = "DATABASE_URL"
DB_CONN_MAX_AGE = "IMAGE360_DB_CONN_MAX_AGE"
S3_BUCKET = "IMAGE360_S3_BUCKET"
S3_ENDPOINT_URL = "IMAGE360_S3_ENDPOINT_URL"
S3_REGION = "IMAGE360_S3_REGION"
S3_ACCESS_KEY_ID = "IMAGE360_S3_ACCESS_KEY_ID"
S3_SECRET_ACCESS_KEY = "IMAGE360_S3_SECRET_ACCESS_KEY"
S3_PREFIX = "IMAGE360_S3_PREFIX"
S3_ADDRESSING_STYLE = "IMAGE360_S3_ADDRESSING_STYLE"

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


def non_negative_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


_RATE_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
                 "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def rate(name: str, default: str) -> str:
    """A throttle rate `N/period` (period s, min, hour or day), checked before DRF reads it."""
    raw = os.environ.get(name, "").strip() or default
    count, _, period = raw.partition("/")
    if not (count.strip().isdigit() and int(count) > 0 and period.strip() in _RATE_PERIODS):
        raise ConfigError(f"{name} must look like 10/min (periods s, min, hour, day), got {raw!r}")
    return f"{int(count)}/{period.strip()}"


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def string_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
