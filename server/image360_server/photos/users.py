"""Creating accounts: the demo account and `image360-server-manage adduser`."""

from __future__ import annotations

from django.contrib.auth import get_user_model

DEMO_USERNAME = "tutorial"
# The public playground's published pair; only ever used for local demo set-ups.
DEMO_PASSWORD = "theta360DotGuide"


def ensure_user(username: str, password: str) -> bool:
    """Create the user, or reset its password (revoking its tokens) and reactivate it.

    True if it was created.
    """
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    changed = False
    # Re-hashing an unchanged password would change the hash and so revoke every token.
    if created or not user.check_password(password):
        user.set_password(password)
        changed = True
    if not user.is_active:
        user.is_active = True
        changed = True
    if changed:
        user.save()
    return created
