"""Photo API views: upload, the owner's list, delete, and the public lists."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from image360_server.photos.derivatives import remove_derivatives
from image360_server.photos.models import Category, Photo
from image360_server.photos.serializers import PhotoSerializer
from image360_server.upload_limit import max_upload_bytes, too_large_response


class UploadPhotoView(generics.CreateAPIView):
    serializer_class = PhotoSerializer
    parser_classes = [MultiPartParser, FormParser]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = request.FILES.get("image")
        if image is not None and image.size > max_upload_bytes():
            return too_large_response()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: PhotoSerializer) -> None:
        serializer.save(owner=self.request.user)


class OwnPhotoListView(generics.ListAPIView):
    serializer_class = PhotoSerializer

    def get_queryset(self) -> QuerySet[Photo]:
        return Photo.objects.filter(owner=self.request.user)


class DeletePhotoView(generics.DestroyAPIView):
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
