"""The tracking doors prospects meet: a tracked link (/t/), an open image (/o/), the forward form
(/f/), the website script (/track.js) and the landing page that stands in for a destination.

/t/ and /o/ are the hottest paths in the product: they check the token (no query), append the
hit (one INSERT, tracking.hits) and answer. No lead is read, locked or rescored here."""

import base64
import functools
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracking import hits, links, machines, tokens
from tracking.models import HitKind

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_origins = (0.0, frozenset())


def _site_origins() -> frozenset[str]:
    """The company's site origins, read at most once a minute per process."""
    global _origins
    read_at, origins = _origins
    if time.monotonic() - read_at > 60:
        origins = links.site_origins()
        _origins = (time.monotonic(), origins)
    return origins


def _with_token(url: str, token: str) -> str:
    """A destination on the company's own site carries the token, so its script knows who came."""
    if links.origin_of(url) not in _site_origins():
        return url
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("crm_t", token)])
    return urlunsplit(parts._replace(query=query))


class Redirect(HttpResponseRedirect):
    allowed_schemes = ["http", "https"]


NEVER_CACHED = "max-age=0, no-cache, no-store, must-revalidate, private"  # as never_cache sets it


def uncached(view):
    """What django.views.decorators.cache.never_cache adds, set directly: its merging of the
    Cache-Control header cost a tenth of these doors' requests. No cache or proxy keeps an open,
    a click or its redirect, so each one reaches us."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = NEVER_CACHED
        response["Expires"] = http_date()
        return response

    return answer


@uncached
@require_http_methods(["GET", "HEAD"])
def follow(request, token: str):
    """302 to the link's destination, recording the click (a scan, for a QR code's link); a
    forged, damaged or unknown token goes to the safe default and records nothing, and so does
    a HEAD or a prefetch (only the destination is given)."""
    link_id = tokens.read(token, tokens.CLICK)
    if link_id is None:
        return Redirect(settings.CRM_TRACKING_SAFE_URL)
    if request.method == "GET" and not machines.is_prefetch(request.META):
        found = hits.follow(request, link_id)  # the link read and its click appended: one round trip
    else:
        found = links.destination(link_id)
    if found is None:
        return Redirect(settings.CRM_TRACKING_SAFE_URL)
    _purpose, url = found
    return Redirect(_with_token(url or settings.CRM_TRACKING_LANDING_URL, token))


@uncached
@require_http_methods(["GET", "HEAD"])
def opened(request, token: str):
    """The open image: a 1×1 GIF whatever the token; a real token's GET is recorded."""
    link_id = tokens.read(token, tokens.OPEN)
    if link_id is not None and request.method == "GET":
        hits.append(request, kind=HitKind.OPEN, link_id=link_id)
    return HttpResponse(GIF, content_type="image/gif")


def landing(request):
    """Where a scan or a click goes when marketing set no landing page, and where a bad token
    ends: the company greets the visitor, and nothing about anyone is shown."""
    return render(request, "tracking/landing.html", {"company": settings.CRM_COMPANY_NAME})


SCRIPT_MAX_AGE = 3600


@csrf_exempt
def script(request):
    """The website script, served by the product (no third party), cached by browsers an hour."""
    body = (settings.BASE_DIR / "tracking" / "static_script" / "track.js").read_text()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
