"""Middleware of our own: refuse NUL characters in query strings and form posts, and send the
Content-Security-Policy every page works under."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, JsonResponse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists())


class RefuseNulCharactersMiddleware:
    """PostgreSQL cannot store a NUL character, so text that carries one would fail deep in a
    query with a 500. Refuse it here for every page and endpoint: search boxes, filters and
    form fields alike. (JSON bodies are checked by config.parsers.SafeJSONParser.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = _has_nul(request.GET) or "\x00" in request.path
        if not bad and request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                bad = _has_nul(request.POST)  # the fields; uploaded files may hold any bytes
            except RequestDataTooBig:
                pass  # the view answers it (the capture endpoint with a 413)
        if bad:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


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
