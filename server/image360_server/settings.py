"""Django settings, all taken from the environment (the command line sets it before setup).

There is no DEBUG mode and no constant secret: this server is meant to be run as is. Nothing
an app server needs to remember lives in its memory: the database (SQLite in the data folder,
or PostgreSQL from DATABASE_URL) holds users, photos, the token blacklist and sign-in
throttling; media are on local disk or in S3-compatible object storage.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from image360_server import __version__, data_dir, env
from image360_server.backing_services import database_from_url, storages_from_env
from image360_server.secret_file import load_or_create_secret

_data_root = os.environ.get(env.DATA_DIR, "").strip()
if not _data_root:
    raise ImproperlyConfigured(f"set {env.DATA_DIR} (or pass --data-dir) to choose the data folder")
DATA = data_dir.prepare(Path(_data_root))

DEBUG = False
SECRET_KEY = load_or_create_secret(DATA.secret_key_file, env.SECRET_KEY)
ALLOWED_HOSTS = env.string_list(env.ALLOWED_HOSTS, ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    # Rotation without the blacklist would leave every rotated-out refresh token valid; the
    # accounts app's system check refuses to start in that state.
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "image360_server.accounts",
    "image360_server.photos",
]

MIDDLEWARE = [
    # First, so an oversized body is refused before anything parses it.
    "image360_server.upload_limit.UploadSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "image360_server.urls"
WSGI_APPLICATION = "image360_server.wsgi.application"

_database_url = env.text(env.DATABASE_URL)
if _database_url:
    DATABASES = {"default": database_from_url(
        _database_url, conn_max_age=env.non_negative_int(env.DB_CONN_MAX_AGE, 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA.database,
            "OPTIONS": {
                # waitress serves from several threads: WAL lets readers run during a write,
                # and IMMEDIATE transactions wait for the lock instead of failing "locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# Shared by every worker and app server (sign-in throttling lives here): a database table,
# created at start-up by `createcachetable`.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "image360_cache",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = DATA.media
MEDIA_URL = "/media/"
IMAGE360_MAX_UPLOAD_BYTES = env.positive_int(env.MAX_UPLOAD_BYTES, 64 * 1024 * 1024)
# Links to originals (and to private photos' previews) are signed and expire after this.
IMAGE360_MEDIA_URL_MAX_AGE = int(env.positive_seconds(env.MEDIA_URL_MAX_AGE, 3600))
# "default" holds originals, "derivatives" the previews made from them.
STORAGES = storages_from_env(DATA, url_max_age=IMAGE360_MEDIA_URL_MAX_AGE)

# Every uploaded file goes to a temporary file (never memory) and is hashed while it streams.
FILE_UPLOAD_HANDLERS = ["image360_server.photos.upload_handler.HashingTemporaryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = str(DATA.upload_spool)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

_trusted_proxies = env.non_negative_int(env.TRUSTED_PROXIES, 0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The clients expect bare arrays.
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "image360_server.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "image360_server.openapi.Image360AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        # Failed sign-ins allowed from one address, and for one user name, per period.
        "sign_in_address": env.rate(env.SIGN_IN_FAILURES_PER_ADDRESS, "60/hour"),
        "sign_in_username": env.rate(env.SIGN_IN_FAILURES_PER_USERNAME, "10/hour"),
    },
    # X-Forwarded-For is trusted only through this many reverse proxies (0: never), so a
    # client cannot pick the address it is throttled under.
    "NUM_PROXIES": _trusted_proxies,
}
if _trusted_proxies:
    # Behind a TLS-terminating proxy, links in answers (media, previews) must say https.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SPECTACULAR_SETTINGS = {
    "TITLE": "image360 API",
    "DESCRIPTION": "The image360 photo API (reference server of thetadesk).",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env.positive_seconds(env.ACCESS_TOKEN_LIFETIME, 300)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.positive_seconds(env.REFRESH_TOKEN_LIFETIME, 86400)
    ),
    # A refresh answers a new refresh token and blacklists the one it was given, so a stolen
    # refresh token stops working once either party uses it.
    "ROTATE_REFRESH_TOKENS": env.flag(env.ROTATE_REFRESH_TOKENS, True),
    "BLACKLIST_AFTER_ROTATION": env.flag(env.BLACKLIST_AFTER_ROTATION, True),
    "TOKEN_REFRESH_SERIALIZER": "image360_server.accounts.tokens.RefreshSerializer",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens name the user by primary key (never by the user name, which can change).
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Inactive users can neither sign in, refresh nor use an access token they still hold.
    "CHECK_USER_IS_ACTIVE": True,
    # Tokens carry a digest of the password hash: changing the password revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    # A key of its own, so tokens can be revoked wholesale without touching Django's key.
    "SIGNING_KEY": load_or_create_secret(DATA.jwt_signing_key_file, env.JWT_SIGNING_KEY),
    "UPDATE_LAST_LOGIN": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # django.request reports 4xx as warnings and 5xx with their traceback.
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "waitress": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "image360_server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
