"""image360 reference server: the image360 photo API on Django REST Framework."""

__version__ = "0.1.0"
