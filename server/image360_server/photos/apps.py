"""App config: photos, their files and derivatives."""

import warnings

from django.apps import AppConfig
from PIL import Image


class PhotosConfig(AppConfig):
    name = "image360_server.photos"
    label = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        from image360_server.photos.jpeg_check import MAX_PIXELS

        # Pillow's own bomb guard uses the same ceiling as the upload check, and its warning
        # becomes an error so no decode ever starts on an oversized image.
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        warnings.simplefilter("error", Image.DecompressionBombWarning)
