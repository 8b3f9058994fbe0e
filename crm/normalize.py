"""Normalized e-mail addresses and phone numbers (the keys that stop a contact being created twice),
and phone numbers written back as people read them."""

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


def format_phone(number: str) -> str:
    """A stored E.164 number as people write it: `(617) 555-0142` for a number of the default
    region's country code (CRM_DEFAULT_PHONE_REGION), `+44 20 7946 0958` otherwise. Text that
    does not read as a number is shown as it is."""
    if not number:
        return ""
    region = settings.CRM_DEFAULT_PHONE_REGION
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_key(raw: str) -> str:
    """Best-effort E.164 form for searching; '' when the text is not a phone number."""
    try:
        return normalize_phone(raw)
    except ValidationError:
        return ""
