"""The lead list's filters (CONTRACT "Leads")."""

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from config.ids import parse_id
from config.times import InUTC
from leads.kinds import Source, Stage
from leads.models import Lead, Temperature
from leads.selectors import search_leads


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
