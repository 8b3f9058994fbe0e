"""Reads of contacts: matching what someone typed against stored phone numbers, and finding
contacts that are likely one person (for a manager to merge: leads.merging)."""

import re
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Reverse, RowNumber, Upper
from django.db.models.lookups import StartsWith

from crm.models import Contact

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


# --- Likely duplicates ------------------------------------------------------------------------

DUPLICATE_SIGNALS = {
    "name": "Same name and company",
    "email": "Similar e-mail",
    "phone": "Same phone ending",
}
# Shared mailboxes: info@one.example and info@another.example are two companies, not one person.
ROLE_MAILBOXES = frozenset(
    {"info", "office", "sales", "contact", "admin", "hello", "support", "service", "mail", "team", "enquiries"}
    | {"inquiries", "billing", "accounts", "accounting", "hr", "jobs", "noreply", "no-reply", "reception"}
)
GROUPS_PER_PAGE = 20
MEMBERS_SHOWN = 10  # of one group; a bigger one says how many more


@dataclass(frozen=True)
class DuplicateGroup:
    signal: str
    key: tuple  # what the members share: (LAST, FIRST, company id), the e-mail key or the phone ending
    size: int
    members: list[Contact]  # the oldest MEMBERS_SHOWN

    @property
    def more(self) -> int:
        return self.size - len(self.members)


@dataclass(frozen=True)
class DuplicatePage:
    signal: str
    page: int
    groups: list[DuplicateGroup]
    has_next: bool


def _keyed(signal: str) -> tuple[QuerySet[Contact], tuple[str, ...]]:
    """The contacts a signal compares (never an erased one: nothing of them is left to compare)
    and the columns of its key, each served by its index (crm migration 0009)."""
    contacts = Contact.objects.filter(erased_at__isnull=True)
    if signal == "name":
        named = contacts.exclude(last_name="").filter(company__isnull=False)
        return named.annotate(name_last=Upper("last_name"), name_first=Upper("first_name")), (
            "name_last",
            "name_first",
            "company",
        )
    if signal == "email":
        return contacts.exclude(email_local="").exclude(email_local__in=ROLE_MAILBOXES), ("email_local",)
    if signal == "phone":
        return contacts.exclude(phone_tail=""), ("phone_tail",)
    raise ValueError(f"Unknown duplicate signal {signal!r}: one of {', '.join(DUPLICATE_SIGNALS)}.")


def duplicate_groups(signal: str, *, page: int = 1) -> DuplicatePage:
    """Contacts that are likely one person, grouped by what they share (`signal`, one of
    DUPLICATE_SIGNALS): the same first and last name (any case) at the same company; the same
    e-mail local part with its plus tag and dots ignored (ann.lee+crm@gmail.com, annlee@work.example;
    shared mailboxes like info@ left out); the same last seven phone digits. A page of
    GROUPS_PER_PAGE groups in key order, each with its oldest MEMBERS_SHOWN contacts. Two queries
    whatever the size of the book: the groups (a GROUP BY over the signal's index, cut at the
    page) and their members (ranked per group)."""
    keyed, key = _keyed(signal)
    page = max(page, 1)
    start = (page - 1) * GROUPS_PER_PAGE
    rows = list(
        keyed.values(*key)
        .annotate(size=Count("id"))
        .filter(size__gt=1)
        .order_by(*key)[start : start + GROUPS_PER_PAGE + 1]
    )
    has_next, rows = len(rows) > GROUPS_PER_PAGE, rows[:GROUPS_PER_PAGE]
    if not rows:
        return DuplicatePage(signal, page, [], False)
    wanted = Q(pk__in=[])
    for row in rows:
        wanted |= Q(**{name: row[name] for name in key})
    rank = Window(RowNumber(), partition_by=[F(name) for name in key], order_by=[F("created_at").asc(), F("id").asc()])
    members = keyed.filter(wanted).select_related("company").annotate(rank=rank).filter(rank__lte=MEMBERS_SHOWN)
    by_key: dict[tuple, list[Contact]] = {}
    for contact in members.order_by("created_at", "id"):
        by_key.setdefault(
            tuple(getattr(contact, name if name != "company" else "company_id") for name in key), []
        ).append(contact)
    groups = [
        DuplicateGroup(
            signal, tuple(row[name] for name in key), row["size"], by_key.get(tuple(row[name] for name in key), [])
        )
        for row in rows
    ]
    return DuplicatePage(signal, page, groups, has_next)


def duplicates_of(contact: Contact) -> list[DuplicateGroup]:
    """The likely duplicates of one contact, a group per signal it shares with someone (the
    contact first, then the others oldest first, at most MEMBERS_SHOWN in all): what the lead
    page's "Find duplicates" opens. Two or three indexed queries per signal."""
    groups = []
    for signal in DUPLICATE_SIGNALS:
        keyed, key = _keyed(signal)
        mine = keyed.filter(pk=contact.pk).values(*key).first()
        if mine is None:
            continue
        same = keyed.filter(**mine).exclude(pk=contact.pk).select_related("company").order_by("created_at", "id")
        others = list(same[:MEMBERS_SHOWN])
        if not others:
            continue
        size = 1 + (same.count() if len(others) == MEMBERS_SHOWN else len(others))
        members = [contact, *others[: MEMBERS_SHOWN - 1]]
        groups.append(DuplicateGroup(signal, tuple(mine[name] for name in key), size, members))
    return groups
