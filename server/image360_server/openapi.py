"""OpenAPI schema generation (drf-spectacular), with the error answers every view can give.

drf-spectacular documents the success bodies from the serializers; the error bodies below
come from errors.py (always JSON, always with `retryable`) and are added to each operation
according to what can happen there: 400 when it takes input, 401 when it needs a token, 404
when its path names an object, plus what a view lists in `openapi_error_statuses`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import IsAuthenticated

_RETRYABLE = {"type": "boolean", "description": "Whether the same request may succeed later."}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "retryable": _RETRYABLE,
    },
    "required": ["detail", "retryable"],
}

FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Messages per field (and `detail` when the body itself is unusable).",
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
        "retryable": _RETRYABLE,
    },
    "required": ["retryable"],
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

TOO_LARGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "max_bytes": {"type": "integer"},
        "retryable": _RETRYABLE,
    },
    "required": ["detail", "max_bytes", "retryable"],
}

UNAVAILABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "status": {"type": "string", "enum": ["unavailable"]},
        "database": {"type": "string", "enum": ["unreachable"]},
        "retryable": _RETRYABLE,
    },
    "required": ["detail", "status", "retryable"],
}

_ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("Bad input: messages per field.", FIELD_ERRORS_SCHEMA),
    401: ("No, or no longer a, valid token or account.", ERROR_SCHEMA),
    403: ("Not allowed.", ERROR_SCHEMA),
    404: ("Not found (or not the caller's).", ERROR_SCHEMA),
    413: ("The upload is over the size cap.", TOO_LARGE_SCHEMA),
    415: ("Unsupported request body type.", ERROR_SCHEMA),
    429: ("Too many attempts; wait Retry-After seconds.", ERROR_SCHEMA),
    503: ("A backing service is unavailable.", UNAVAILABLE_SCHEMA),
}
_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "required": True,
                    "description": "Seconds to wait before trying again."},
}


class Image360AutoSchema(AutoSchema):
    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: Any) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        statuses: set[int] = set(getattr(self.view, "openapi_error_statuses", ()))
        parameters = operation.get("parameters", [])
        if "requestBody" in operation:
            statuses |= {400, 415}
        if any(parameter.get("in") == "query" for parameter in parameters):
            statuses.add(400)
        if any(parameter.get("in") == "path" for parameter in parameters):
            statuses.add(404)
        if any(isinstance(permission, IsAuthenticated)
               for permission in self.view.get_permissions()):
            statuses.add(401)
        responses = operation.setdefault("responses", {})
        for status in sorted(statuses):
            description, schema = _ERRORS[status]
            answer: dict[str, Any] = {
                "description": description,
                "content": {"application/json": {"schema": schema}},
            }
            if status == 429:
                answer["headers"] = _RETRY_AFTER
            responses.setdefault(str(status), answer)
        return operation
