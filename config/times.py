"""Times people type, kept to what PostgreSQL stores: Python reads UTC offsets up to ±23:59,
PostgreSQL refuses those past ±15:59, and no zone on Earth is beyond ±14:00."""

from datetime import UTC, datetime, timedelta

from django import forms

MAX_UTC_OFFSET = timedelta(hours=14)


def in_utc(value: datetime) -> datetime:
    """An aware time in UTC; ValueError for an offset beyond ±14:00 or a time with no UTC
    equivalent (0001-01-01T00:00+01:00)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("UTC offset out of range")
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time out of range") from exc


class InUTC:
    """For a Django form field that reads times: the offset checked and the value in UTC."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return in_utc(parsed)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class DateTimeField(InUTC, forms.DateTimeField):
    """Django's form field, with the offset checked and the value in UTC."""
