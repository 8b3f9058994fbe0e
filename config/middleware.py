"""Middleware of our own: refuse requests a view could not read (NUL characters in query strings
and form posts, form bodies that do not parse, overlong query strings on the API), answer 503
while the database is out of reach, and send the Content-Security-Policy every page works under."""

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.log import log_response

from config.error_views import database_unreachable_answer, log_unreachable
from config.errors import database_unreachable
from config.parsers import clean_fields

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."
# What Django raises when a form body cannot be parsed: a broken multipart body (no boundary, a
# part without headers, a truncated body), a form that is not UTF-8, too many fields or files.
UNREADABLE_FORM = (MultiPartParserError, BadRequest, TooManyFieldsSent, TooManyFilesSent)
# The longest query string the API reads. gunicorn (gunicorn.conf.py) lets request lines up to
# 8 KB through, so a longer query still gets an answer in JSON instead of gunicorn's HTML 414.
MAX_API_QUERY_BYTES = 4096
QUERY_TOO_LONG = f"The query string is longer than {MAX_API_QUERY_BYTES} bytes: send fewer or shorter parameters."


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists())


class RefuseMalformedRequestsMiddleware:
    """Refuse, with a 400 that says why, what would otherwise fail deep inside a view:

    - NUL characters: PostgreSQL cannot store one, so text that carries one would fail in a query
      with a 500. Refused here for every page and endpoint: search boxes, filters and form fields
      alike. (JSON bodies are checked by config.parsers.SafeJSONParser.) Other control characters
      but tab and line breaks are dropped from them (config.text, config.parsers.clean_fields).
    - A query string over MAX_API_QUERY_BYTES under /api/: a JSON 414 an API client can read.
    - A form body Django cannot parse (a broken multipart body, a form that is not UTF-8, too many
      fields): reading the fields here is the first read, so the refusal is one log line with the
      reason instead of a traceback from wherever the body happened to be read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and len(request.META.get("QUERY_STRING", "")) > MAX_API_QUERY_BYTES:
            return JsonResponse({"detail": QUERY_TOO_LONG}, status=414)
        bad = _has_nul(request.GET) or "\x00" in request.path
        if not bad and request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                bad = _has_nul(request.POST)  # the fields; uploaded files may hold any bytes
                if not bad:
                    request.POST = clean_fields(request.POST)
            except RequestDataTooBig:
                pass  # the view answers it (the capture endpoint with a 413)
            except UNREADABLE_FORM as exc:
                return _unreadable_form(request, exc)
        if bad:
            return _bad_request(request, NUL_MESSAGE)
        request.GET = clean_fields(request.GET)
        return self.get_response(request)


def _bad_request(request, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _unreadable_form(request, exc: Exception):
    reason = str(exc).strip().rstrip(".") or type(exc).__name__
    response = _bad_request(request, f"The form data could not be read: {reason}.")
    log_response("Unreadable form data refused: %s: %s", reason, request.path, response=response, request=request)
    return response


class ContentSecurityPolicyMiddleware:
    """Scripts, styles, images and fonts only from this site, no inline script, no framing.
    htmx runs under it (its indicator styles are turned off in base.html, where the htmx
    config meta tag says so); CRM_CSP overrides the whole policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CRM_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


class DatabaseUnreachableMiddleware:
    """A page or endpoint that could not reach the database answers 503 with Retry-After (a
    short page for people, JSON under /api/) instead of a 500, logged as one line with the
    reason rather than a traceback a request. The API's own views answer it in
    config.api.exception_handler (so their headers, CORS included, still apply); a failure
    outside any view reaches config.error_views.server_error, which answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_unreachable(exception):
            return None
        response = database_unreachable_answer(request)
        log_unreachable(request, exception, response)
        return response
