"""API plumbing shared by every app: pagination and the one exception handler."""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.error_views import log_unreachable
from config.errors import DATABASE_RETRY_AFTER, DATABASE_UNREACHABLE, Conflict, database_unreachable
from config.ids import ID_PATTERN

__all__ = ["ID_PATTERN", "IdField", "Pagination", "exception_handler"]

logger = logging.getLogger(__name__)


class IdField(serializers.IntegerField):
    """A row id, given as a JSON number or as ASCII digits: DRF's IntegerField takes "٣" or "²"
    for 3 and 2, which would name some other row."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 10**18 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not (data.strip().isascii() and data.strip().isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    """Domain errors become HTTP answers here, not in each view: Conflict → 409, ValidationError →
    400, a row not found within what the caller may see → 404, a row others still refer to → 409,
    a database out of reach → 503 with Retry-After (answered here rather than by
    config.middleware, so the view's own headers, the capture endpoint's CORS, still apply).

    A DataError or IntegrityError means input reached the database unchecked: the client still
    gets a 4xx, never a 500, and the log says which view needs a proper check."""
    if database_unreachable(exc):
        response = Response(
            {"detail": DATABASE_UNREACHABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
        log_unreachable(context["request"], exc, response)
        return response
    if isinstance(exc, Conflict):
        body = {"detail": exc.detail}
        if exc.missing:
            body["missing"] = exc.missing
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ObjectDoesNotExist):  # a service looked a row up within what the caller may see
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {"detail": "Other records still refer to this one, so it cannot be deleted."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        logger.error("Unchecked input reached the database in %s", _view_name(context), exc_info=exc)
        return Response({"detail": "A value is out of range or malformed."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        logger.error("A constraint refused a write in %s", _view_name(context), exc_info=exc)
        return Response({"detail": "This conflicts with data already stored."}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def _view_name(context) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "an API view"
