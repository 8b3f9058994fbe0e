"""The website script's beacons: POST /api/v1/track/?k=KEY, a small JSON body sent as text/plain
(navigator.sendBeacon cannot set headers, hence the key in the query string).

A beacon is checked whole before anything is written: the key (hashed, among unrevoked keys),
the page's origin (and the request's Origin, when sent) among the key's allowed origins, the body
(at most CRM_TRACKING_BEACON_MAX_BYTES of JSON with the fields below and nothing malformed). Then
it is throttled per visitor and per network, and appended as a hit (tracking.hits): 204. A
browser that says Do-Not-Track or Global Privacy Control is answered 204 and nothing is stored.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from config import throttling
from tracking import hits
from tracking.links import origin_of
from tracking.models import HitKind, SiteKey, hash_site_key

VISITOR = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EVENTS = {"view": HitKind.VIEW, "leave": HitKind.LEAVE}
MAX_SECONDS = 24 * 3600
KEY_CACHE_SECONDS = 30
_keys: dict[str, tuple[float, SiteKey | None]] = {}


class BadBeacon(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body


def site_key(raw: str) -> SiteKey | None:
    """The unrevoked key, looked up at most every KEY_CACHE_SECONDS per process (a revoked key
    stops within that)."""
    if not raw or len(raw) > 100:
        return None
    now = time.monotonic()
    cached = _keys.get(raw)
    if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    key = SiteKey.objects.filter(key_hash=hash_site_key(raw), revoked_at__isnull=True).first()
    if len(_keys) > 1000:
        _keys.clear()
    _keys[raw] = (now, key)
    return key


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:  # "http://[x": not an address at all
        return ""


def allows(key: SiteKey | None, origin: str) -> bool:
    """Whether the key lets pages of this origin (scheme://host[:port]) send beacons."""
    return key is not None and origin.lower() in {allowed.lower() for allowed in key.allowed_origins}


def read(body: bytes, key: SiteKey) -> dict:
    """The beacon's fields, checked; BadBeacon(400) naming each problem."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadBeacon(400, {"detail": "The beacon is not JSON."}) from None
    if not isinstance(data, dict):
        raise BadBeacon(400, {"detail": "The beacon is a JSON object."})
    errors = {}
    visitor, url, event = data.get("visitor"), data.get("url"), data.get("event")
    seconds, referrer = data.get("seconds"), data.get("referrer") or ""
    if not isinstance(visitor, str) or not VISITOR.match(visitor):
        errors["visitor"] = ["The visitor id is 8 to 64 letters, digits, - or _."]
    if not isinstance(url, str) or len(url) > 1000 or _scheme(url) not in ("http", "https"):
        errors["url"] = ["The page's http(s) address, at most 1,000 characters."]
    elif not allows(key, origin_of(url)):
        errors["url"] = ["This page is not on a site this key allows."]
    if not isinstance(event, str) or event not in EVENTS:
        errors["event"] = ['"view" or "leave".']
    if seconds is not None and (type(seconds) is not int or not 0 <= seconds <= MAX_SECONDS):
        errors["seconds"] = ["Whole seconds on the page, 0 to 86400."]
    if not isinstance(referrer, str) or len(referrer) > 500:
        errors["referrer"] = ["At most 500 characters."]
    if errors:
        raise BadBeacon(400, errors)
    return {"visitor": visitor, "url": url, "kind": EVENTS[event], "seconds": seconds, "referrer": referrer}


def _throttle(request, visitor: str) -> None:
    for ident, rate in (
        (f"beacon:visitor:{visitor}", settings.CRM_TRACKING_BEACONS_PER_VISITOR_MINUTE),
        (f"beacon:network:{hits.request_facts(request)['network']}", settings.CRM_TRACKING_BEACONS_PER_NETWORK_MINUTE),
    ):
        key, retry_after = throttling.window_key(ident, 60)
        if throttling.hit(key, ttl=61) > rate:
            raise BadBeacon(429, {"detail": "Too many beacons; slow down.", "retry_after": int(retry_after) + 1})


def _answer(response, origin: str, key: SiteKey | None):
    if origin and allows(key, origin):
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@csrf_exempt
def beacon(request):
    origin = request.META.get("HTTP_ORIGIN", "")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        response["Access-Control-Allow-Origin"] = origin or "*"
        return response
    if request.method != "POST":
        return JsonResponse({"detail": "POST a beacon."}, status=405)
    key = site_key(request.GET.get("k", ""))
    try:
        if key is None:
            raise BadBeacon(403, {"detail": "Unknown or revoked site key."})
        if origin and not allows(key, origin):
            raise BadBeacon(403, {"detail": "This origin is not allowed for this key."})
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.CRM_TRACKING_BEACON_MAX_BYTES:
            raise BadBeacon(413, {"detail": f"A beacon is at most {settings.CRM_TRACKING_BEACON_MAX_BYTES} bytes."})
        body = request.read(settings.CRM_TRACKING_BEACON_MAX_BYTES + 1)
        if len(body) > settings.CRM_TRACKING_BEACON_MAX_BYTES:
            raise BadBeacon(413, {"detail": f"A beacon is at most {settings.CRM_TRACKING_BEACON_MAX_BYTES} bytes."})
        fields = read(body, key)
        if request.META.get("HTTP_DNT") == "1" or request.META.get("HTTP_SEC_GPC") == "1":
            return _answer(HttpResponse(status=204), origin, key)  # the browser asked not to be tracked
        _throttle(request, fields["visitor"])
    except BadBeacon as bad:
        response = JsonResponse(bad.body, status=bad.status)
        if bad.status == 429:
            response["Retry-After"] = str(bad.body.pop("retry_after"))
            response.content = json.dumps(bad.body)
        return _answer(response, origin, key)
    hits.append(request, site_key_id=key.pk, **fields)
    return _answer(HttpResponse(status=204), origin, key)
