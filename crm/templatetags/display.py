"""How numbers and times read on every page: money with its currency, times relative to now
with the exact time on hover (or in full where a decision hangs on the date), in the user's own
time zone, and phones as people write them. One place, so the lead page, the queue and the
reports agree."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from config.money import format_money
from crm.normalize import format_phone

register = template.Library()


@register.filter
def money(amount) -> str:
    return format_money(amount)


def _relative(moment: datetime, now: datetime) -> str:
    if abs((now - moment).total_seconds()) < 60:
        return "just now"
    if moment <= now:
        return f"{timesince(moment, now, depth=1)} ago"
    return f"in {timeuntil(moment, now, depth=1)}"


def _local(moment: datetime) -> datetime:
    """In the zone of the request (the user's, crm.middleware)."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


@register.filter
def when(moment: datetime | None, empty: str = "—"):
    """`<time>` reading "3 hours ago" / "in 2 days", the exact local time as its tooltip."""
    if not moment:
        return empty
    exact = date_format(_local(moment), "D Y-m-d H:i T")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, _relative(moment, timezone.now())
    )


@register.filter
def in_full(moment: datetime | None, empty: str = "—"):
    """`<time>` reading "Tue 8 Dec, 10:00 (in 1 day)": for a time a decision hangs on (a
    follow-up due, an offer's deadline, a letter's sending, a hot lead's wait), which "in 1 day"
    alone leaves the reader to work out. The year is written when it is not this year's."""
    if not moment:
        return empty
    now = timezone.now()
    local = _local(moment)
    same_year = local.year == _local(now).year
    text = date_format(local, "D j M, H:i" if same_year else "D j M Y, H:i")
    exact = date_format(local, "D Y-m-d H:i T")
    return format_html(
        '<time datetime="{}" title="{}">{} ({})</time>', moment.isoformat(), exact, text, _relative(moment, now)
    )


def _dialable(number: str) -> str:
    """What a tel: link dials: the stored E.164 number ("+16175550142"), digits and the plus only."""
    return ("+" if number.startswith("+") else "") + "".join(ch for ch in number if ch.isdigit())


@register.filter
def phone(number: str | None, empty: str = "") -> str:
    """A phone as people read it (format_phone), where a link cannot go (inside another link)."""
    return format_phone(number) if number else empty


@register.filter
def phone_link(number: str | None, empty: str = ""):
    """A phone as people read it, as a `tel:` link that dials the stored E.164 number."""
    if not number:
        return empty
    return format_html('<a href="tel:{}" class="tel">{}</a>', _dialable(number), format_phone(number))


@register.filter
def percent(ratio) -> str:
    """0.125 → "12.5%"; "—" for no figure (a ratio of nothing)."""
    if ratio is None or ratio == "":
        return "—"
    return f"{float(ratio) * 100:.1f}".rstrip("0").rstrip(".") + "%"


@register.filter
def value_of(mapping, key):
    """mapping[key] in a template, for keys held in variables."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def duration(seconds) -> str:
    """A span of seconds as people say it: "45 s", "3 min 20 s", "1 h 05 min"."""
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
