"""Serves stored originals and their previews (there is no separate web server in front).

Originals need a valid, unexpired signature; previews need one only for private photos.
A missing or wrong signature answers 404 like an unknown name (it proves nothing about the
name), an expired one 403 so the client knows to list again for a fresh link.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from image360_server.errors import error_response
from image360_server.photos.derivatives import DerivativeUnavailable, open_derivative
from image360_server.photos.media_access import (
    ORIGINAL,
    SIGNATURE_PARAM,
    LinkCheck,
    check_link,
)
from image360_server.photos.models import STORAGE_FOLDER, Photo

_EXPIRED = "This link has expired; list the photos again for a fresh one."


def _photo_for(key: str) -> Photo:
    # Looked up through the database so a deleted photo's URL stops working at once.
    photo = Photo.objects.filter(image=f"{STORAGE_FOLDER}/{key}.jpg").first()
    if photo is None:
        raise Http404
    return photo


def _refusal(request: HttpRequest, key: str, what: str) -> HttpResponse | None:
    verdict = check_link(key, what, request.GET.get(SIGNATURE_PARAM))
    if verdict is LinkCheck.EXPIRED:
        return error_response(_EXPIRED, 403)
    if verdict is LinkCheck.INVALID:
        return error_response("Not found.", 404)
    return None


@require_safe
def original(request: HttpRequest, key: str) -> HttpResponse:
    refusal = _refusal(request, key, ORIGINAL)
    if refusal is not None:
        return refusal
    photo = _photo_for(key)
    return FileResponse(photo.image.open("rb"), content_type="image/jpeg")


@require_safe
def derivative(request: HttpRequest, key: str, variant: str) -> HttpResponse:
    photo = _photo_for(key)
    if not photo.is_public:
        refusal = _refusal(request, key, variant)
        if refusal is not None:
            return refusal
    try:
        preview = open_derivative(photo, variant)
    except DerivativeUnavailable:
        return error_response("No preview can be made from this photo.", 404)
    return FileResponse(preview, content_type="image/jpeg")
