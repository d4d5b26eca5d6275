"""Serves stored originals and their previews (there is no separate web server in front)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from image360_server.errors import error_response
from image360_server.photos.derivatives import DerivativeUnavailable, ensure_derivative
from image360_server.photos.models import STORAGE_FOLDER, Photo


def _photo_for(key: str) -> Photo:
    # Looked up through the database so a deleted photo's URL stops working at once.
    return get_object_or_404(Photo, image=f"{STORAGE_FOLDER}/{key}.jpg")


@require_safe
def original(request: HttpRequest, key: str) -> HttpResponse:
    photo = _photo_for(key)
    return FileResponse(photo.image.open("rb"), content_type="image/jpeg")


@require_safe
def derivative(request: HttpRequest, key: str, variant: str) -> HttpResponse:
    photo = _photo_for(key)
    try:
        path = ensure_derivative(photo, variant)
    except DerivativeUnavailable:
        return error_response("No preview can be made from this photo.", 404)
    return FileResponse(path.open("rb"), content_type="image/jpeg")
