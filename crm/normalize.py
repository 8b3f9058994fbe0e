"""Normalized e-mail addresses and phone numbers: the keys that stop a contact being created twice."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def normalize_email(raw: str) -> str:
    """Lower-case, trimmed, validated address; '' for blank. Raises ValidationError if malformed."""
    email = (raw or "").strip().lower()
    if not email:
        return ""
    validate_email(email)
    return email


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form (+15551234567) of a number typed in any format; '' for blank.

    Numbers without a country code are read in CRM_DEFAULT_PHONE_REGION, so "(555) 123-4567",
    "555.123.4567" and "+1 555 123 4567" are one and the same caller.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or settings.CRM_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number.") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("Enter a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_key(raw: str) -> str:
    """Best-effort E.164 form for searching; '' when the text is not a phone number."""
    try:
        return normalize_phone(raw)
    except ValidationError:
        return ""
