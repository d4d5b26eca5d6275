"""Django settings, all taken from the environment (the command line sets it before setup).

There is no DEBUG mode and no constant secret: this server is meant to be run as is.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from image360_server import data_dir, env
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
    # Installed (and migrated) even while rotation is off, so turning rotation on never runs
    # without the blacklist that makes rotated-out refresh tokens unusable.
    "rest_framework_simplejwt.token_blacklist",
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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA.database,
        "OPTIONS": {
            # waitress serves from several threads: WAL lets readers run during a write, and
            # IMMEDIATE transactions wait for the lock instead of failing with "locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = DATA.media
MEDIA_URL = "/media/"
IMAGE360_DERIVATIVE_CACHE = DATA.derivative_cache
IMAGE360_MAX_UPLOAD_BYTES = env.positive_int(env.MAX_UPLOAD_BYTES, 64 * 1024 * 1024)

# Every uploaded file goes to a temporary file (never memory) and is hashed while it streams.
FILE_UPLOAD_HANDLERS = ["image360_server.photos.upload_handler.HashingTemporaryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = str(DATA.upload_spool)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

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
}

_rotate = env.flag(env.ROTATE_REFRESH_TOKENS, False)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env.positive_seconds(env.ACCESS_TOKEN_LIFETIME, 300)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.positive_seconds(env.REFRESH_TOKEN_LIFETIME, 86400)
    ),
    "ROTATE_REFRESH_TOKENS": _rotate,
    "BLACKLIST_AFTER_ROTATION": _rotate,
    "AUTH_HEADER_TYPES": ("Bearer",),
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
