"""The lead list's search, filters and sort orders: one set for the page, its CSV export and the
API's list (CONTRACT "Leads"), so a view bookmarked in the browser and the same query through the
API find the same leads."""

from dataclasses import dataclass

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Upper
from django_filters.fields import IsoDateTimeField

from config.ids import parse_id
from config.times import InUTC
from crm.models import Contact
from crm.normalize import phone_search_key
from crm.selectors import phone_ending, phone_ends_with
from leads.kinds import Source, Stage
from leads.models import Lead, Temperature

# --- Search -------------------------------------------------------------------------------------

# Up to this many matching contacts, the leads are fetched by contact id; beyond it the match
# is broad enough that walking the list in its sort order finds a page sooner (see search_leads).
NARROW_MATCH = 10_000


def _person_matches(text: str, via: str = "") -> Q:
    """The branches of a search on the contact's own columns, each served by its own index:
    the start of the first or last name, of "first last", of the e-mail, the whole phone number
    in any format, or its last four or more digits."""
    query = (
        Q(**{f"{via}first_name__istartswith": text})
        | Q(**{f"{via}last_name__istartswith": text})
        | Q(**{f"{via}email__startswith": text.lower()})  # stored lower-case (crm.normalize)
    )
    first, _, rest = text.partition(" ")
    if rest.strip():
        query |= Q(**{f"{via}first_name__istartswith": first, f"{via}last_name__istartswith": rest.strip()})
    phone = phone_search_key(text)
    if phone:
        query |= Q(**{f"{via}phone": phone})
    digits = phone_ending(text)
    if digits:
        query |= phone_ends_with(digits, via=via)
    return query


def _company_matches(text: str, via: str = "") -> Q:
    return Q(**{f"{via}company__name__istartswith": text})


def search_leads(leads: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Leads whose contact matches the text: the start of a name, "first last", e-mail or
    company name, a phone number in any format, or the last four or more digits of a phone.

    Two shapes, chosen by how many contacts match, because each is fast where the other is not
    (measured on PostgreSQL with a million leads and contacts): a narrow match (a
    person, a phone, a company, up to NARROW_MATCH contacts) is found on the contact and company
    indexes first and its leads fetched by contact id: milliseconds for a person, ~0.3 s for
    10,000 matches. A broad one (the first letter typed) walks the list in its sort order and
    checks each lead's contact, which fills a page after a few hundred rows (the count of a
    broad match still reads every match). Joining every lead with its contact and filtering,
    the one shape used before, took 7 s to find a phone number and could not use an index for
    the last digits at all."""
    text = (text or "").strip()
    if not text:
        return leads
    own_columns = Contact.objects.filter(_person_matches(text)).order_by().values_list("pk", flat=True)
    by_company = Contact.objects.filter(_company_matches(text)).order_by().values_list("pk", flat=True)
    found = list(own_columns.union(by_company, all=True)[: NARROW_MATCH + 1])
    if len(found) <= NARROW_MATCH:
        return leads.filter(contact_id__in=set(found))
    return leads.filter(_person_matches(text, "contact__") | _company_matches(text, "contact__"))


# --- The browser list's sort orders -------------------------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    """A column people can sort by: the direction of its first click, and its two orderings,
    each ending in the id so that pages never overlap."""

    first: str  # "asc" or "desc"
    ascending: tuple
    descending: tuple


# Each ordering matches an index (leads/models.py and leads migration 0007), so a sorted first
# page of a million leads reads a few index pages. Last activity puts leads never active last
# either way; a stage sorts by name (as its label reads), its leads by score.
SORTS = {
    "score": SortColumn("desc", ("score", "id"), ("-score", "-id")),
    "created": SortColumn("desc", ("created_at", "id"), ("-created_at", "-id")),
    "activity": SortColumn(
        "desc",
        (F("last_activity_at").asc(nulls_last=True), "id"),
        (F("last_activity_at").desc(nulls_last=True), "-id"),
    ),
    "name": SortColumn(
        "asc",
        (Upper("contact__last_name"), Upper("contact__first_name"), "id"),
        (Upper("contact__last_name").desc(), Upper("contact__first_name").desc(), "-id"),
    ),
    "stage": SortColumn("asc", ("stage", "-score", "-id"), ("-stage", "score", "id")),
}
DEFAULT_SORT = "-score"
SORT_CHOICES = [(f"{prefix}{key}", key) for key in SORTS for prefix in ("", "-")]


def parse_sort(sort: str) -> tuple[str, bool]:
    """("score", True) for "-score": the column and whether it runs descending."""
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    return (key, descending) if key in SORTS else parse_sort(DEFAULT_SORT)


def sort_leads(leads: QuerySet[Lead], sort: str) -> QuerySet[Lead]:
    key, descending = parse_sort(sort or DEFAULT_SORT)
    column = SORTS[key]
    return leads.order_by(*(column.descending if descending else column.ascending))


def filter_lead_list(
    leads: QuerySet[Lead],
    *,
    user,
    q: str = "",
    stage: str = "",
    temperature: str = "",
    source: str = "",
    owner: str = "",
    sort: str = DEFAULT_SORT,
) -> QuerySet[Lead]:
    """The browser list's view of `leads` (already limited to what `user` may see): the page,
    its CSV export and the bulk hand-over all read it. `owner` is "me", "none" (unassigned) or a
    user id."""
    leads = search_leads(leads, q)
    if stage:
        leads = leads.filter(stage=stage)
    if temperature:
        leads = leads.filter(temperature=temperature)
    if source:
        leads = leads.filter(source=source)
    if owner == "me":
        leads = leads.filter(owner=user)
    elif owner == "none":
        leads = leads.filter(owner__isnull=True)
    elif owner:
        leads = leads.filter(owner_id=parse_id(owner))
    return sort_leads(leads, sort)


# --- The API's filters --------------------------------------------------------------------------


class PersonFilter(django_filters.CharFilter):
    """`<field>=me` or `<field>=<user id>` (the lead's owner, a follow-up's assignee)."""

    def filter(self, qs, value):
        if not value:
            return qs
        if value == "me":
            return qs.filter(**{self.field_name: self.parent.request.user})
        person = parse_id(value)
        if person is None:
            raise ValidationError({self.field_name: ["Give a user id or 'me'."]})
        return qs.filter(**{f"{self.field_name}_id": person})


class UTCIsoDateTimeField(InUTC, IsoDateTimeField):
    """An ISO 8601 time, compared in UTC, its offset within what PostgreSQL stores (config.times)."""

    default_error_messages = {"invalid": "Give an ISO 8601 time such as 2026-12-01T09:30:00+01:00."}


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    temperature = django_filters.MultipleChoiceFilter(choices=Temperature.choices)
    owner = PersonFilter(field_name="owner")
    source = django_filters.ChoiceFilter(choices=Source.choices)
    campaign = django_filters.NumberFilter(field_name="campaign_id")
    offer = django_filters.NumberFilter(field_name="offer_id")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_q", max_length=200)

    class Meta:
        model = Lead
        fields = []

    def filter_q(self, qs, name, value):
        return search_leads(qs, value)
