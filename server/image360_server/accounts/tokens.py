"""Refresh-token rotation where a refresh token can be used exactly once.

simplejwt's own refresh serializer checks the blacklist and then blacklists the token with
get_or_create: two requests racing with the same refresh token both pass the check and both
get a new token pair. Here the blacklist row is created with a plain INSERT inside the same
transaction as the new token; the unique constraint on the blacklisted token lets exactly
one request through, and the loser is told its token is no longer valid.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password


class RefreshSerializer(TokenRefreshSerializer):
    default_error_messages = {
        "no_active_account": "No active account found for the given token.",
        "password_changed": "The user's password has been changed.",
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, type, blacklist
        user = self._active_user(refresh)
        data = {"access": str(refresh.access_token)}
        if api_settings.ROTATE_REFRESH_TOKENS:
            with transaction.atomic():
                if api_settings.BLACKLIST_AFTER_ROTATION:
                    blacklist_once(refresh, user)
                refresh.set_jti()
                refresh.set_exp()
                refresh.set_iat()
                refresh.outstand()
            data["refresh"] = str(refresh)
        return data

    def _active_user(self, refresh: RefreshToken) -> AbstractBaseUser:
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            # simplejwt's exception: its body carries "code" like every other token refusal.
            raise AuthenticationFailed(self.error_messages["no_active_account"],
                                       "no_active_account")
        if api_settings.CHECK_REVOKE_TOKEN and refresh.payload.get(
                api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(self.error_messages["password_changed"],
                                       "password_changed")
        return user


def blacklist_once(refresh: RefreshToken, user: AbstractBaseUser | None) -> None:
    """Blacklist `refresh`; raise TokenError if another request already did."""
    jti = refresh.payload[api_settings.JTI_CLAIM]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": user,
            "created_at": refresh.current_time,
            "token": str(refresh),
            "expires_at": datetime_from_epoch(refresh.payload["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise TokenError("Token is blacklisted") from None


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refresh = RefreshToken(attrs["refresh"])  # TokenError if invalid or already out
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        with transaction.atomic():
            blacklist_once(refresh, user)
        return {}
