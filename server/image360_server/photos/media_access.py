"""Links to stored photos: who may fetch what, and for how long.

- Originals (`image`) are always handed out as signed links that expire after
  IMAGE360_MEDIA_URL_MAX_AGE seconds, like the demo server's pre-signed object-storage
  links: with S3 storage they are S3 pre-signed URLs, otherwise links to this server carrying
  a signature (django.core.signing, keyed by the server's secret key).
- Previews (`thumb_url`, `medium_url`) of public photos are plain links; those of private
  photos are signed and expire too.

Storage names are random, but a name is not a secret that can be taken back: a link given to
the owner of a private photo stops working when it expires, not when someone guesses it.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.http import HttpRequest
from django.urls import reverse

from image360_server.photos.models import Photo

SIGNATURE_PARAM = "sig"
_SALT = "image360.media-link"
ORIGINAL = "original"


class LinkCheck(enum.Enum):
    OK = "ok"
    EXPIRED = "expired"
    INVALID = "invalid"


def max_age() -> int:
    return int(settings.IMAGE360_MEDIA_URL_MAX_AGE)


def original_url(photo: Photo, request: HttpRequest | None) -> str:
    storage = photo.image.storage
    if not isinstance(storage, FileSystemStorage):
        return storage.url(photo.image.name)  # pre-signed by the storage, same max age
    path = reverse("photo-original", kwargs={"key": photo.storage_key})
    return _absolute(f"{path}?{SIGNATURE_PARAM}={_sign(photo.storage_key, ORIGINAL)}", request)


def derivative_url(photo: Photo, variant: str, request: HttpRequest | None) -> str:
    path = reverse("photo-derivative", kwargs={"key": photo.storage_key, "variant": variant})
    if not photo.is_public:
        path = f"{path}?{SIGNATURE_PARAM}={_sign(photo.storage_key, variant)}"
    return _absolute(path, request)


def check_link(key: str, what: str, signature: str | None) -> LinkCheck:
    if not signature:
        return LinkCheck.INVALID
    try:
        _signer().unsign(f"{_value(key, what)}:{signature}", max_age=max_age())
    except signing.SignatureExpired:
        return LinkCheck.EXPIRED
    except signing.BadSignature:
        return LinkCheck.INVALID
    return LinkCheck.OK


def _sign(key: str, what: str) -> str:
    value = _value(key, what)
    # "value:timestamp:signature"; the link carries only "timestamp:signature".
    return _signer().sign(value).removeprefix(f"{value}:")


def _value(key: str, what: str) -> str:
    return f"{key}/{what}"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def _absolute(path: str, request: HttpRequest | None) -> str:
    return request.build_absolute_uri(path) if request is not None else path
