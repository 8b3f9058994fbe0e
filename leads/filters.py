"""The lead list's filters (CONTRACT "Leads")."""

import django_filters
from django.core.exceptions import ValidationError

from leads.kinds import Source, Stage
from leads.models import Lead, Temperature
from leads.selectors import search_leads


class OwnerFilter(django_filters.CharFilter):
    """`owner=me` or `owner=<user id>`."""

    def filter(self, qs, value):
        if not value:
            return qs
        if value == "me":
            return qs.filter(owner=self.parent.request.user)
        if not value.isdigit():
            raise ValidationError({"owner": ["Give a user id or 'me'."]})
        return qs.filter(owner_id=int(value))


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    temperature = django_filters.MultipleChoiceFilter(choices=Temperature.choices)
    owner = OwnerFilter()
    source = django_filters.ChoiceFilter(choices=Source.choices)
    campaign = django_filters.NumberFilter(field_name="campaign_id")
    offer = django_filters.NumberFilter(field_name="offer_id")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_q", max_length=200)

    class Meta:
        model = Lead
        fields = []

    def filter_q(self, qs, name, value):
        return search_leads(qs, value)
