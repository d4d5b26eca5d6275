"""Photo API views: upload, the owner's list, delete, and the public lists."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from image360_server.photos.derivatives import remove_derivatives
from image360_server.photos.models import Category, Photo
from image360_server.photos.serializers import CheckedUpload, PhotoSerializer
from image360_server.upload_limit import max_upload_bytes, too_large_response

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class UploadPhotoView(generics.CreateAPIView):
    """201 with a new photo; 200 with the existing one when the owner already has these bytes.

    Clients retry uploads whose answer they never saw: the retry must not make a second copy.
    """

    serializer_class = PhotoSerializer
    parser_classes = [MultiPartParser, FormParser]
    openapi_error_statuses = (413,)

    @extend_schema(responses={201: PhotoSerializer, 200: PhotoSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = request.FILES.get("image")
        if image is not None and image.size > max_upload_bytes():
            return too_large_response()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checked: CheckedUpload = serializer.validated_data["image"]
        existing = self._existing(checked.sha256)
        if existing is not None:
            return self._existing_response(existing)
        try:
            with transaction.atomic():
                serializer.save(owner=request.user)
        except IntegrityError:
            # The same bytes were stored by a concurrent request between the check and the
            # insert; the unique (owner, sha256) constraint refused this copy (and create()
            # removed its file). Answer with the photo that won.
            existing = self._existing(checked.sha256)
            if existing is None:
                raise
            return self._existing_response(existing)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def _existing(self, sha256: str) -> Photo | None:
        return Photo.objects.filter(owner=self.request.user, sha256=sha256).first()

    def _existing_response(self, photo: Photo) -> Response:
        return Response(self.get_serializer(photo).data, status=status.HTTP_200_OK)


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter(
    "sha256", str, description="Only the photo with these bytes (hex SHA-256), if any.",
    pattern=_SHA256.pattern)]))
class OwnPhotoListView(generics.ListAPIView):
    """The caller's photos; `?sha256=H` narrows them to the one holding those bytes."""

    serializer_class = PhotoSerializer

    def get_queryset(self) -> QuerySet[Photo]:
        photos = Photo.objects.filter(owner=self.request.user)
        wanted = self.request.query_params.get("sha256")
        if wanted is not None:
            if not _SHA256.fullmatch(wanted):
                raise ValidationError({"sha256": ["Expected 64 hexadecimal characters."]})
            photos = photos.filter(sha256=wanted.lower())
        return photos


class OwnPhotoDetailView(generics.RetrieveAPIView):
    """One of the caller's photos; another user's id is simply not found."""

    serializer_class = PhotoSerializer

    def get_queryset(self) -> QuerySet[Photo]:
        return Photo.objects.filter(owner=self.request.user)


@extend_schema_view(delete=extend_schema(responses={204: None}))
class DeletePhotoView(generics.DestroyAPIView):
    serializer_class = PhotoSerializer  # only for the schema: DELETE answers no body

    def get_queryset(self) -> QuerySet[Photo]:
        # Scoped to the caller: another user's id is simply not found, and nothing is deleted.
        return Photo.objects.filter(owner=self.request.user)

    def perform_destroy(self, instance: Photo) -> None:
        storage, name, key = instance.image.storage, instance.image.name, instance.storage_key
        with transaction.atomic():
            instance.delete()

            # Files go only once the row is gone for good; a failed delete keeps both.
            def remove_files() -> None:
                storage.delete(name)
                remove_derivatives(key)

            transaction.on_commit(remove_files)


class PublicPhotoListView(generics.ListAPIView):
    serializer_class = PhotoSerializer
    permission_classes = [AllowAny]
    # Public lists ignore any Authorization header, so a stale token cannot make them fail.
    authentication_classes: list[type] = []
    category: str | None = None

    def get_queryset(self) -> QuerySet[Photo]:
        photos = Photo.objects.filter(is_public=True)
        if self.category is not None:
            photos = photos.filter(category=self.category)
        return photos


class RealEstateListView(PublicPhotoListView):
    category = Category.REAL_ESTATE


class AutomotiveListView(PublicPhotoListView):
    category = Category.AUTOMOTIVE
