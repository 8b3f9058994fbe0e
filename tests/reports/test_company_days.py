"""A report's days are the company's, whoever reads it: a manager in New York and one in Paris
see the same figures for the same period (each sees times in their own zone elsewhere)."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from leads.models import Lead
from reports.periods import Period, parse_period
from reports.selectors import summary, weekly
from tests.factories import lead_after

pytestmark = pytest.mark.django_db


def test_the_same_period_counts_the_same_leads_in_every_readers_zone(settings):
    settings.TIME_ZONE = "UTC"
    late = lead_after("form")
    early_next_day = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 21:00 on 1 March in New York
    Lead.objects.filter(pk=late.pk).update(inquired_at=early_next_day, created_at=early_next_day)
    period = Period(date(2026, 3, 2), date(2026, 3, 2))
    in_company_days, weeks = summary(period)["leads"], weekly(period)
    for reader in ("America/New_York", "Europe/Paris", "Pacific/Auckland"):
        with timezone.override(reader):
            assert summary(period)["leads"] == in_company_days == 1
            assert parse_period({"start": "2026-03-02", "end": "2026-03-02"}).since == period.since
            assert weekly(period) == weeks
