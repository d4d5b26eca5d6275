"""System checks that stop the server before it serves in an unsafe token configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


@checks.register(checks.Tags.security)
def rotation_needs_blacklist(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Rotating refresh tokens without blacklisting the old ones keeps them all valid."""
    from rest_framework_simplejwt.settings import api_settings

    if not api_settings.ROTATE_REFRESH_TOKENS:
        return []
    errors: list[checks.CheckMessage] = []
    if not api_settings.BLACKLIST_AFTER_ROTATION:
        errors.append(checks.Error(
            "Refresh tokens rotate but rotated-out tokens are not blacklisted, so every old "
            "refresh token stays valid until it expires.",
            hint="Set IMAGE360_BLACKLIST_AFTER_ROTATION=1 (the default), or stop rotating "
                 "with IMAGE360_ROTATE_REFRESH_TOKENS=0.",
            id="image360.E001",
        ))
    if BLACKLIST_APP not in settings.INSTALLED_APPS:
        errors.append(checks.Error(
            f"Refresh tokens rotate but {BLACKLIST_APP} is not installed, so rotated-out "
            "refresh tokens cannot be blacklisted and stay valid.",
            hint=f"Add {BLACKLIST_APP!r} to INSTALLED_APPS and migrate.",
            id="image360.E002",
        ))
    return errors
