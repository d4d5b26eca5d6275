"""The upload size cap, answered as 413 JSON `{"detail", "max_bytes"}` as early as possible.

`max_bytes` limits the photo file. The request body may exceed it by a fixed allowance for the
multipart envelope and the text fields, so a file of exactly `max_bytes` is still accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

ENVELOPE_ALLOWANCE_BYTES = 1024 * 1024


def max_upload_bytes() -> int:
    return int(settings.IMAGE360_MAX_UPLOAD_BYTES)


def max_body_bytes() -> int:
    return max_upload_bytes() + ENVELOPE_ALLOWANCE_BYTES


def too_large_payload() -> dict[str, Any]:
    from image360_server.errors import error_body

    limit = max_upload_bytes()
    return error_body(f"The upload is larger than this server accepts ({limit} bytes).", 413,
                      max_bytes=limit)


def too_large_response() -> JsonResponse:
    return JsonResponse(too_large_payload(), status=413)


class UploadSizeLimitMiddleware:
    """Refuse a declared Content-Length over the cap before Django reads the body.

    Under waitress the same check already happened while the body was arriving (see serve.py);
    this keeps the answer identical under any other WSGI server.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_body_bytes():
            return too_large_response()
        return self.get_response(request)
