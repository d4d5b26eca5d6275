"""Token endpoints (simplejwt's own views) and the token check endpoint."""

from __future__ import annotations

from django.urls import URLPattern, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView


class ProtectedView(APIView):
    """Lets a client check that its access token is accepted."""

    def get(self, request: Request) -> Response:
        return Response({"message": "You are authenticated!"})


urlpatterns: list[URLPattern] = [
    path("token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("protected/", ProtectedView.as_view(), name="protected"),
]
