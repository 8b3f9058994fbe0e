"""Every page in the signed-in user's time zone (crm.zones): what it shows and what its forms read."""

import zoneinfo

from django.utils import timezone

from config.errors import database_unreachable
from crm.zones import zone_of


class UserTimeZoneMiddleware:
    """Activates the user's zone for the request, so templates, `localtime` and the forms'
    date-time fields (which read a typed "2026-12-08 10:00" in the current zone) all use it.

    The API is left in the company's zone whoever calls it: its times carry their offset, and a
    client learns the user's zone from GET /api/v1/auth/me/. When the database is out of reach the
    user cannot be read here; the zone is left alone and the view meets the outage itself, where
    it is answered with a 503 (config.middleware.DatabaseUnreachableMiddleware)."""

    # Paths whose answers never depend on who is signed in: the API (above), and the tracking
    # doors a prospect's mail client opens (an open image, a tracked link), where reading the
    # session and the user for nothing cost a tenth of the request.
    NO_USER = ("/api/", "/o/", "/t/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if not request.path.startswith(self.NO_USER):
            try:
                user = request.user
                zone = zone_of(user) if user.is_authenticated else None
            except Exception as exc:
                if not database_unreachable(exc):
                    raise
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
