"""Reads of contacts: matching what someone typed against stored phone numbers."""

import re

from django.db.models import Q
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith

# What a phone-number fragment looks like as typed: ASCII digits and phone punctuation only, so
# "3M" or "Suite 4500" stay company and address searches.
_PHONE_FRAGMENT = re.compile(r"[0-9\s().+-]+")
PHONE_ENDING_MIN_DIGITS = 4
PHONE_ENDING_MAX_DIGITS = 15  # the longest E.164 number


def phone_ending(text: str) -> str:
    """The digits of a phone-number fragment ("4567", "123-4567", "(555) 010 0042"): 4 to 15
    digits and nothing but phone punctuation; '' for anything else."""
    text = (text or "").strip()
    if not _PHONE_FRAGMENT.fullmatch(text):
        return ""
    digits = re.sub(r"[^0-9]", "", text)
    return digits if PHONE_ENDING_MIN_DIGITS <= len(digits) <= PHONE_ENDING_MAX_DIGITS else ""


def phone_ends_with(digits: str, *, via: str = "") -> Q:
    """Contacts whose stored (E.164) phone ends with `digits`, reached through `via` ("" on a
    Contact queryset, "contact__" on leads). A suffix match as a prefix match on the reversed
    number, which the index contact_phone_reversed_idx (leads migration 0007) serves on
    PostgreSQL: a read of a few index pages among a million contacts, not a scan."""
    return Q(StartsWith(Reverse(f"{via}phone"), digits[::-1]))
