"""Shared REST API plumbing: pagination and one JSON error shape.

Every error the API returns looks like::

    {"error": {"status": 400, "code": "invalid", "message": "Invalid input.",
               "fields": {"name": ["This field is required."]}}}

`fields` is present only for validation errors; nested serializer errors are flattened to dotted
paths ("links.0.url").
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id among the records the caller may read (`visible_to`): an id they may not see gets the
    same "does not exist" error as an id that does not exist, so a write never confirms a hidden record."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(v, str) for v in detail):
        out[prefix or "non_field_errors"] = [str(v) for v in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):  # a model's clean() reports the whole record under "__all__"
            detail = {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # Keep the reason the service gave (the page shows the same one); DRF's default text otherwise.
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["message"] = "Invalid input."
        body["fields"] = _flatten(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        body["code"] = codes if isinstance(codes, str) else "error"
        detail = exc.detail
        body["message"] = str(detail) if not isinstance(detail, dict | list) else "Request failed."
    # Exceptions may add fields to the error body and headers to the answer (opsx.etag's 412 adds the ETag).
    body.update(getattr(exc, "error_extra", {}))
    for name, value in getattr(exc, "response_headers", {}).items():
        response[name] = value
    response.data = {"error": body}
    return response


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    """An error in the same shape as the handler's, for views that answer one directly (412, 428...)."""
    return Response({"error": {"status": status, "code": code, "message": message, **extra}}, status=status)
