"""Token endpoints, logout, the token check endpoint and the health check."""

from django.urls import URLPattern, path

from image360_server.accounts import views

urlpatterns: list[URLPattern] = [
    path("token/", views.SignInView.as_view(), name="token-obtain"),
    path("token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("protected/", views.ProtectedView.as_view(), name="protected"),
    path("health/", views.HealthView.as_view(), name="health"),
]
