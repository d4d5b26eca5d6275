"""Photo serializer: the request and response shapes the image360 clients use."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from image360_server.photos.jpeg_check import JpegHeader, JpegRejected, read_jpeg_header
from image360_server.photos.media_access import derivative_url, original_url
from image360_server.photos.models import Photo

# Fields a form client may send empty to mean "use the default".
_BLANK_MEANS_DEFAULT = ("order", "category")


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    header: JpegHeader
    sha256: str


class PhotoSerializer(serializers.ModelSerializer):
    # Clients read either `title` or `name`; both carry the title.
    name = serializers.CharField(source="title", read_only=True)
    # No max_length: the client's file name is never used, so its length must not matter.
    image = serializers.FileField()
    thumb_url = serializers.SerializerMethodField()
    medium_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id", "title", "name", "description", "attribution", "license_link", "date_taken",
            "camera_model", "category", "order", "is_public", "image", "created_at",
            "size_bytes", "width", "height", "sha256", "thumb_url", "medium_url",
        ]
        read_only_fields = ["id", "created_at", "size_bytes", "width", "height", "sha256"]

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(_normalise_form(data))

    def validate_image(self, upload: UploadedFile) -> CheckedUpload:
        try:
            header = read_jpeg_header(upload)
        except JpegRejected as rejected:
            raise serializers.ValidationError(str(rejected)) from None
        digest = getattr(upload, "sha256", None) or _sha256_of(upload)
        return CheckedUpload(file=upload, header=header, sha256=digest)

    def create(self, validated_data: dict[str, Any]) -> Photo:
        checked: CheckedUpload = validated_data.pop("image")
        photo = Photo(
            size_bytes=checked.file.size,
            width=checked.header.width,
            height=checked.header.height,
            sha256=checked.sha256,
            **validated_data,
        )
        # upload_to picks the storage name; the spooled file is moved there, not re-encoded.
        photo.image.save(checked.file.name or "upload.jpg", checked.file, save=False)
        try:
            photo.save()
        except Exception:
            photo.image.delete(save=False)  # the row failed: do not leave the file orphaned
            raise
        return photo

    def to_representation(self, instance: Photo) -> dict[str, Any]:
        data = super().to_representation(instance)
        # A signed, expiring link (never the bare storage path): see media_access.
        data["image"] = original_url(instance, self.context.get("request"))
        return data

    @extend_schema_field(serializers.URLField())
    def get_thumb_url(self, photo: Photo) -> str:
        return derivative_url(photo, "thumb", self.context.get("request"))

    @extend_schema_field(serializers.URLField())
    def get_medium_url(self, photo: Photo) -> str:
        return derivative_url(photo, "medium", self.context.get("request"))


def _normalise_form(data: Any) -> Any:
    """Flatten multipart data to a plain dict and apply the clients' conventions.

    A plain dict also avoids DRF's HTML-form rule that a missing boolean means False, which
    would make every upload that omits `is_public` private.
    """
    if not isinstance(data, Mapping):
        return data
    plain = {key: data[key] for key in data.keys()}
    if "title" not in plain and "name" in plain:
        plain["title"] = plain["name"]
    for key in _BLANK_MEANS_DEFAULT:
        if plain.get(key) == "":
            del plain[key]
    if plain.get("date_taken") == "":
        plain["date_taken"] = None
    return plain


def _sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
