"""Stored originals at MEDIA_URL + storage name, previews next to them."""

from django.urls import URLPattern, re_path

from image360_server.photos import media_views
from image360_server.photos.derivatives import VARIANT_PATTERN
from image360_server.photos.models import STORAGE_FOLDER, STORAGE_KEY_PATTERN

_KEY = rf"(?P<key>{STORAGE_KEY_PATTERN})"

urlpatterns: list[URLPattern] = [
    # Must match what the storage's url() gives for "photos/<key>.jpg" under MEDIA_URL.
    re_path(rf"^{STORAGE_FOLDER}/{_KEY}\.jpg$", media_views.original, name="photo-original"),
    re_path(
        rf"^{STORAGE_FOLDER}/{_KEY}/(?P<variant>{VARIANT_PATTERN})\.jpg$",
        media_views.derivative,
        name="photo-derivative",
    ),
]
