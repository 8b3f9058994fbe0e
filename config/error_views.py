"""Error pages: JSON under /api/ (what API clients parse), the site's own pages elsewhere."""

import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.log import log_response
from django.views import defaults

from config.errors import DATABASE_RETRY_AFTER, DATABASE_UNREACHABLE, database_unreachable


def _api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return JsonResponse({"detail": str(exception) or "You may not do this."}, status=403)
    return defaults.permission_denied(request, exception)


def bad_request(request, exception):
    if _api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    if database_unreachable(sys.exc_info()[1]):  # raised outside a view (a middleware)
        return database_unreachable_answer(request)  # Django logs it, with the traceback
    if _api(request):
        return JsonResponse({"detail": "Something went wrong on our side; it has been logged."}, status=500)
    return defaults.server_error(request)


def database_unreachable_answer(request):
    """503 with Retry-After, so a client (a web form's script) knows to try again: JSON under
    /api/, a short page for people. The page is rendered without the request: its context
    (the user, the unread count) would need the database."""
    if _api(request):
        response = JsonResponse({"detail": DATABASE_UNREACHABLE}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def log_unreachable(request, exception, response) -> None:
    """One line a request, with the driver's reason, instead of a traceback: an outage would
    otherwise bury the log in identical tracebacks."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    text = str(exception).strip()
    reason = text.splitlines()[0] if text else type(exception).__name__
    log_response("Database unreachable: %s: %s", reason, request.path, response=response, request=request)
