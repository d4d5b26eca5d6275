"""Error bodies: JSON under /api/ (clients parse `detail`), Django's defaults elsewhere.

Every JSON error body also says whether sending the same request again later can succeed:
`"retryable": true` for throttling (429, with Retry-After) and server-side trouble (5xx),
false for everything the client has to change first (bad fields, credentials, size...).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.response import Response
from rest_framework.views import exception_handler

# Statuses where the same request may succeed later without any change by the client.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


def is_retryable(status: int) -> bool:
    return status >= 500 or status in _RETRYABLE_STATUSES


def error_body(detail: Any, http_status: int, /, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, **extra, "retryable": is_retryable(http_status)}


def error_response(detail: Any, http_status: int, /, **extra: Any) -> JsonResponse:
    return JsonResponse(error_body(detail, http_status, **extra), status=http_status)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus `retryable`; per-field errors stay keyed by field."""
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected exception: Django answers through handler500
    data = response.data
    if isinstance(data, dict):
        body = dict(data)
    elif isinstance(data, list):
        body = {"non_field_errors": data}
    else:
        body = {"detail": data}
    body["retryable"] = is_retryable(response.status_code)
    response.data = body
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response("Bad request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response("You do not have permission to perform this action.", 403)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response("A server error occurred.", 500)
    return defaults.server_error(request)
