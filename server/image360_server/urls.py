"""Root URL configuration: the API under /api/, stored files under /media/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/", include("image360_server.accounts.urls")),
    path("api/", include("image360_server.photos.api_urls")),
    path("media/", include("image360_server.photos.media_urls")),
]

handler400 = "image360_server.errors.bad_request"
handler403 = "image360_server.errors.permission_denied"
handler404 = "image360_server.errors.not_found"
handler500 = "image360_server.errors.server_error"
