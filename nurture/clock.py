"""When a step falls due, in the company's time zone (CRM_TIME_ZONE).

A wait of N days ends at the same wall-clock time N calendar days after the previous step was
done (not N × 24 hours: over a daylight-saving change a 10:00 stays a 10:00); a weekday and hour
window then moves it forward to the first moment inside the window, never back (Mautic #14613
sent a weekend-excluding delay early). E-mails are not sent in the quiet hours
(CRM_NURTURE_QUIET_HOURS): one due then waits for their end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from nurture.steps import WEEKDAYS


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `tz`; an hour a clock change skips reads as the hour after it."""
    if hour >= 24:
        day, hour = day + timedelta(days=1), 0
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC).astimezone(tz)


def add_days(moment: datetime, days: int) -> datetime:
    """The same wall-clock time `days` calendar days later, in the company's zone."""
    tz = zone()
    local = moment.astimezone(tz)
    wall = local.replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def into_window(moment: datetime, weekdays: list[str], from_hour: int, to_hour: int) -> datetime:
    """`moment` if it is inside the window, else the window's next opening."""
    tz = zone()
    local = moment.astimezone(tz)
    allowed = {WEEKDAYS.index(day) for day in weekdays}
    for _ in range(8):
        if local.weekday() in allowed:
            if from_hour <= local.hour < to_hour:
                return local.astimezone(UTC)
            if local.hour < from_hour:
                return _at(local.date(), from_hour, tz).astimezone(UTC)
        local = _at(local.date() + timedelta(days=1), from_hour, tz)
    raise ValueError("a window with no weekday")  # clean_steps refuses one


def wait_until(step: dict, since: datetime) -> datetime:
    """When a wait step that began at `since` (the previous step done) ends."""
    moment = add_days(since, step["days"]) if step.get("days") else since
    if step.get("weekdays"):
        moment = into_window(moment, step["weekdays"], step["from_hour"], step["to_hour"])
    return moment


def quiet_until(moment: datetime) -> datetime | None:
    """The end of the quiet hours `moment` falls in, or None outside them."""
    start, end = settings.CRM_NURTURE_QUIET_HOURS
    if start == end:
        return None
    tz = zone()
    local = moment.astimezone(tz)
    hour = local.hour
    quiet = start <= hour < end if start < end else (hour >= start or hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return _at(day, end, tz).astimezone(UTC)


def day_start(moment: datetime) -> datetime:
    """Midnight of `moment`'s day in the company's zone (the daily cap counts from it)."""
    tz = zone()
    return _at(moment.astimezone(tz).date(), 0, tz).astimezone(UTC)


def next_day(moment: datetime) -> datetime:
    """When the next day's sending may begin: its midnight, or the end of its quiet hours."""
    tz = zone()
    tomorrow = _at(moment.astimezone(tz).date() + timedelta(days=1), 0, tz)
    return quiet_until(tomorrow) or tomorrow.astimezone(UTC)
