"""The Photo model: metadata as the image360 clients send it, plus what the server measured."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models

STORAGE_FOLDER = "photos"
# Storage keys are uuid4 hex: never derived from the client's file name, and unguessable.
STORAGE_KEY_PATTERN = r"[0-9a-f]{32}"


def new_storage_name(instance: Photo, filename: str) -> str:
    """upload_to callable: ignores the client's file name on purpose."""
    return f"{STORAGE_FOLDER}/{uuid.uuid4().hex}.jpg"


class CameraModel(models.TextChoices):
    S = "S", "THETA S"
    SC2 = "SC2", "THETA SC2"
    SC2B = "SC2B", "THETA SC2 for Business"
    V = "V", "THETA V"
    Z1 = "Z1", "THETA Z1"
    X = "X", "THETA X"


class Category(models.TextChoices):
    OTHER = "OTHER", "Other"
    AUTOMOTIVE = "AUTOMOTIVE", "Automotive"
    REAL_ESTATE = "REAL_ESTATE", "Real estate"
    CONSTRUCTION = "CONSTRUCTION", "Construction"
    GIS = "GIS", "GIS"


class Photo(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos"
    )
    title = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    attribution = models.CharField(max_length=255, blank=True, default="")
    license_link = models.URLField(max_length=500, blank=True, default="")
    date_taken = models.DateField(null=True, blank=True)
    camera_model = models.CharField(
        max_length=8, choices=CameraModel.choices, blank=True, default=""
    )
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    order = models.IntegerField(default=1000)
    # Uploads are public by default, as on the demo server.
    is_public = models.BooleanField(default=True)

    # Indexed: media URLs are resolved to their photo by storage name.
    image = models.FileField(upload_to=new_storage_name, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Hex SHA-256 (lower case) of the stored bytes. Unique per owner: the same bytes uploaded
    # again by the same owner are the same photo (uploads are idempotent).
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["is_public", "category"], name="photo_public_category"),
        ]
        constraints = [
            # Also the index for "does this owner already hold these bytes?".
            models.UniqueConstraint(fields=["owner", "sha256"], name="photo_owner_sha256_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.storage_key} ({self.pk})"

    @property
    def storage_key(self) -> str:
        return PurePosixPath(self.image.name).stem
