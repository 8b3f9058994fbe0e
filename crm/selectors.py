"""Reads of contacts: finding a caller in seconds."""

import re

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith

from crm.models import Contact
from crm.normalize import phone_search_key

CALLER_LIMIT = 10

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


def find_callers(text: str, *, user, limit: int = CALLER_LIMIT) -> list[Contact]:
    """Contacts matching what a CSR types: a phone number in any format or its last four or more
    digits, the start of an e-mail, a last or first name, "first last", or the start of the
    company's name. Each branch is one indexed query; phone matches first.

    Only what `user` may see: a salesperson finds only the people behind their own leads and
    the sales-ready pool, with only those leads attached."""
    from leads.selectors import sees_every_lead, visible_leads

    text = (text or "").strip()
    if len(text) < 2:
        return []
    leads = visible_leads(user).select_related(None).order_by("-created_at", "-id")  # the first is the latest
    contacts = Contact.objects.select_related("company").prefetch_related(Prefetch("leads", queryset=leads))
    if not sees_every_lead(user):
        contacts = contacts.filter(Exists(leads.filter(contact_id=OuterRef("pk"))))
    queries = []
    phone = phone_search_key(text)
    if phone:
        queries.append(contacts.filter(phone=phone))
    digits = phone_ending(text)
    if digits:
        queries.append(contacts.filter(phone_ends_with(digits)))
    if "@" in text or "." in text:
        queries.append(contacts.filter(email__startswith=text.lower()))
    first, _, rest = text.partition(" ")
    if rest:
        queries.append(contacts.filter(first_name__istartswith=first, last_name__istartswith=rest.strip()))
    else:
        queries.append(contacts.filter(last_name__istartswith=text))
        queries.append(contacts.filter(first_name__istartswith=text))
    queries.append(contacts.filter(company__name__istartswith=text))
    found: dict[int, Contact] = {}
    for query in queries:
        for contact in query.order_by("last_name", "first_name", "id")[:limit]:
            found.setdefault(contact.pk, contact)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]
