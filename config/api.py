"""API plumbing shared by every app: pagination and the one exception handler."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import Conflict


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    """Domain errors become HTTP answers here, not in each view: Conflict → 409, ValidationError →
    400, a row not found within what the caller may see → 404."""
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
    return drf_exception_handler(exc, context)
