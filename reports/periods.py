"""The period a report covers: `start` and `end` dates (inclusive), the last 90 days unless given.

A report is over the leads *created* in the period (a cohort) and where they are now, so a
funnel never mixes this month's inquiries with last year's wins. Days are the company's
(CRM_TIME_ZONE), whoever reads: the same period gives the same figures to a reader in New York
and one in Paris, each of whom otherwise sees times in their own zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

DEFAULT_DAYS = 90
EARLIEST = date(2000, 1, 1)


def company_zone():
    """The zone a report's days are counted in: the company's, not the reader's."""
    return timezone.get_default_timezone()


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min), company_zone())

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), company_zone())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_params(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _date(value: str, field: str, errors: dict) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors[field] = ["Give a date as YYYY-MM-DD."]
        return None
    if not EARLIEST <= parsed <= date(2100, 12, 31):
        errors[field] = [f"Give a date between {EARLIEST.isoformat()} and 2100-12-31."]
        return None
    return parsed


def parse_period(params) -> Period:
    """The period from request parameters; a ValidationError keyed by field for bad input."""
    errors: dict[str, list[str]] = {}
    start = _date(params.get("start", ""), "start", errors)
    end = _date(params.get("end", ""), "end", errors)
    if errors:
        raise ValidationError(errors)
    end = end or timezone.localdate(timezone=company_zone())
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError({"end": ["The end comes before the start: swap them."]})
    return Period(start, end)
