"""WSGI application object for waitress (or any other WSGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image360_server.settings")

application = get_wsgi_application()
