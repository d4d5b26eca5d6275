"""Sign-in, refresh, logout, the token check endpoint, and the health check."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from image360_server.accounts.throttles import sign_in_throttles
from image360_server.accounts.tokens import LogoutSerializer
from image360_server.errors import error_body

logger = logging.getLogger(__name__)


class SignInView(TokenObtainPairView):
    """simplejwt's sign-in, throttled by failures per address and per user name (429)."""

    openapi_error_statuses = (401, 429)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        throttles = sign_in_throttles(request)
        waits = [wait for throttle in throttles if (wait := throttle.blocked_for()) is not None]
        if waits:
            raise Throttled(wait=max(waits), detail="Too many failed sign-ins; try again later.")
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            for throttle in throttles:
                throttle.record_failure()
            raise


class RefreshView(TokenRefreshView):
    """simplejwt's refresh view; the serializer (settings) makes each refresh token single-use."""

    openapi_error_statuses = (401,)


class LogoutView(APIView):
    """Blacklist the given refresh token; holding it is the credential."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = LogoutSerializer
    openapi_error_statuses = (401,)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    @extend_schema(responses={200: inline_serializer(
        "SignedOut", {"detail": serializers.CharField()})})
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as error:
            raise InvalidToken(error.args[0]) from error
        return Response({"detail": "Signed out."})


class ProtectedView(APIView):
    """Lets a client check that its access token is accepted."""

    @extend_schema(responses={200: inline_serializer(
        "Authenticated", {"message": serializers.CharField()})})
    def get(self, request: Request) -> Response:
        return Response({"message": "You are authenticated!"})


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])


class HealthView(APIView):
    """For load balancers: 200 when the database answers, 503 (retryable) when it does not."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = HealthSerializer
    openapi_error_statuses = (503,)

    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as error:
            # The class only: driver messages can carry host names and user names.
            logger.warning("health check: database unreachable (%s)", type(error).__name__)
            body = error_body("The database is unreachable.", 503, status="unavailable",
                              database="unreachable")
            return Response(body, status=503)
        return Response({"status": "ok", "database": "ok"})
