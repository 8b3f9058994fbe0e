"""How numbers and times read on every page: money with its currency, times relative to now
with the exact time on hover. One place, so the lead page, the queue and the reports agree."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

register = template.Library()

# Currencies written before the amount; any other ISO code is written after it ("1,200.00 CHF").
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def format_money(amount, currency: str | None = None) -> str:
    """`1234.5` → `$1,234.50` (or `1,234.50 CHF`); blank for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    currency = (currency or settings.CRM_CURRENCY).upper()
    digits = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


@register.filter
def money(amount) -> str:
    return format_money(amount)


@register.filter
def when(moment: datetime | None, empty: str = "—"):
    """`<time>` reading "3 hours ago" / "in 2 days", the exact local time as its tooltip."""
    if not moment:
        return empty
    now = timezone.now()
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    exact = date_format(local, "D Y-m-d H:i T")
    if abs((now - moment).total_seconds()) < 60:
        relative = "just now"
    elif moment <= now:
        relative = f"{timesince(moment, now, depth=1)} ago"
    else:
        relative = f"in {timeuntil(moment, now, depth=1)}"
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, relative)


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
