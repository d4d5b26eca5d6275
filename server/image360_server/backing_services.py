"""The database and the media storage, chosen from the environment.

Without DATABASE_URL the server keeps SQLite in its data folder; with it (for example
`postgres://user:password@host:5432/image360`) PostgreSQL. Without IMAGE360_S3_BUCKET media
live in the data folder; with it in that bucket of an S3-compatible object store.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from image360_server import env
from image360_server.data_dir import DataDir

_SUPPORTED_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
_ADDRESSING_STYLES = {"auto", "path", "virtual"}


def database_from_url(url: str, *, conn_max_age: int) -> dict[str, Any]:
    """Django's DATABASES entry for a database URL (messages never repeat the URL)."""
    import dj_database_url

    scheme = urlsplit(url).scheme.lower()
    if scheme not in _SUPPORTED_SCHEMES:
        # Only the scheme is named: the rest of the URL usually holds a password.
        raise env.ConfigError(
            f"{env.DATABASE_URL} must start with postgres:// (or sqlite://), not {scheme!r}://")
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=conn_max_age,
                                            conn_health_checks=conn_max_age > 0))
    except ValueError:
        raise env.ConfigError(f"{env.DATABASE_URL} cannot be parsed") from None
    if scheme != "sqlite":
        options = dict(config.get("OPTIONS") or {})
        # A stuck database must not hang requests (and health checks) for minutes.
        options.setdefault("connect_timeout", 10)
        config["OPTIONS"] = options
    return config


def storages_from_env(data: DataDir, *, url_max_age: int) -> dict[str, dict[str, Any]]:
    bucket = env.text(env.S3_BUCKET)
    if not bucket:
        return {
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(data.media), "base_url": "/media/"},
            },
            "derivatives": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(data.derivative_cache), "allow_overwrite": True},
            },
        }
    style = env.text(env.S3_ADDRESSING_STYLE, "auto")
    if style not in _ADDRESSING_STYLES:
        raise env.ConfigError(f"{env.S3_ADDRESSING_STYLE} must be auto, path or virtual, "
                              f"got {style!r}")
    prefix = env.text(env.S3_PREFIX).strip("/")
    common: dict[str, Any] = {
        "bucket_name": bucket,
        "region_name": env.text(env.S3_REGION) or None,
        "endpoint_url": env.text(env.S3_ENDPOINT_URL) or None,
        # Without explicit keys boto3 looks further (AWS_* variables, instance roles...).
        "access_key": env.text(env.S3_ACCESS_KEY_ID) or None,
        "secret_key": env.text(env.S3_SECRET_ACCESS_KEY) or None,
        "addressing_style": None if style == "auto" else style,
        "signature_version": "s3v4",
        # Objects stay private; links to them are pre-signed and expire.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": url_max_age,
    }
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            # Names are fresh uuids: an existing key would be a bug, never overwrite it.
            "OPTIONS": {**common, "location": _join(prefix, ""), "file_overwrite": False},
        },
        "derivatives": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": _join(prefix, "cache"), "file_overwrite": True},
        },
    }


def _join(prefix: str, folder: str) -> str:
    return "/".join(part for part in (prefix, folder) if part)
