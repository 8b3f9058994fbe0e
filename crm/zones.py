"""Time zones people choose: each staff user reads every time in their own zone (crm.StaffProfile),
the company's (CRM_TIME_ZONE, Django's TIME_ZONE) until they choose one."""

import zoneinfo
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError

# The IANA areas people live in; the rest of the database is legacy aliases ("US/Eastern",
# "EST5EDT", "Etc/GMT+5") that would only lengthen the list.
AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone a person may choose: "UTC" and the IANA names of the areas above, sorted."""
    names = {name for name in zoneinfo.available_timezones() if name.split("/", 1)[0] in AREAS and "/" in name}
    return ("UTC", *sorted(names))


def company_zone() -> str:
    """The company's zone, every user's until they choose their own."""
    return settings.TIME_ZONE


def validate_time_zone(name: str) -> None:
    """A blank name (the company's zone) or one of zone_names(); anything else is refused."""
    if name and name not in zone_names():
        raise ValidationError(
            f"Unknown time zone “{name}”: use an IANA name such as America/New_York or Europe/Paris.",
            code="invalid",
        )


def zone_of(user) -> str:
    """The IANA name of the zone the user reads times in: theirs, or the company's.

    Reads the profile the authentication backend loaded with the user (crm.auth), so it costs no
    query on a page; a user loaded another way costs one."""
    try:
        chosen = user.staff_profile.time_zone
    except (AttributeError, ObjectDoesNotExist):  # no profile yet, or no user
        chosen = ""
    return chosen if chosen and chosen in zone_names() else company_zone()


def zone_choices(now: datetime) -> list[tuple[str, str]]:
    """The options of a time-zone select: the company's zone first, then every zone with its UTC
    offset now ("America/New York (UTC−05:00)"), so people can find theirs by either."""

    def label(name: str) -> str:
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
        sign = "−" if offset[0] == "-" else "+"
        return f"{name.replace('_', ' ')} (UTC{sign}{offset[1:3]}:{offset[3:]})"

    return [("", f"The company's: {label(company_zone())}"), *((name, label(name)) for name in zone_names())]
