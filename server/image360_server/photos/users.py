"""Creating accounts: the demo account and `image360-server-manage adduser`."""

from __future__ import annotations

from django.contrib.auth import get_user_model

DEMO_USERNAME = "tutorial"
# The public playground's published pair; only ever used for local demo set-ups.
DEMO_PASSWORD = "theta360DotGuide"


def ensure_user(username: str, password: str) -> bool:
    """Create the user or reset its password and reactivate it; True if it was created."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created or not user.check_password(password) or not user.is_active:
        user.set_password(password)
        user.is_active = True
        user.save()
    return created
