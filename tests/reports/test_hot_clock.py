"""The hot clock starts when a prospect turns hot, never when a sale pins the score at 100, and
stops at our first call or meeting after that: the call that made the lead hot is not the answer
(seed 002: hot leads passed to sales that nobody followed up)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Lead
from leads.services import log_interaction
from reports.periods import parse_period
from reports.selectors import summary
from sales.services import waiting_hot_leads
from tests.factories import LeadFactory, won_lead

pytestmark = pytest.mark.django_db


def test_a_sale_that_pins_the_score_at_100_is_not_a_hot_lead_nobody_answered(users):
    lead = won_lead("900", by=users["sales"])  # sales-ready at 60 (warm), claimed and closed won
    lead.refresh_from_db()
    assert (lead.score, lead.temperature) == (100, "hot")
    assert lead.first_hot_at is None and lead.hot_since is None
    assert summary(parse_period({}))["hot_unanswered"] == 0
    assert Lead.objects.filter(first_hot_at__isnull=False).count() == 0


HOT_ANSWER = [{"question": "timeline", "answer": "this_month"}]  # 50 for the call + 20: 70, hot


def test_the_csr_call_that_makes_a_caller_hot_leaves_them_waiting_for_sales(users):
    """The caller's answers make them hot during the CSR's call: someone must still call them
    back after that, so past the response time they are waiting, until a salesperson calls."""
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=HOT_ANSWER, author=users["csr"])
    two_hours_later = timezone.now() + timedelta(hours=2)
    assert waiting_hot_leads(two_hours_later).filter(pk=lead.pk).exists()

    log_interaction(lead_id=lead.pk, kind="call_outbound", author=users["sales"])
    assert not waiting_hot_leads(two_hours_later).filter(pk=lead.pk).exists()
    lead.refresh_from_db()
    assert lead.hot_response_seconds is not None
    assert summary(parse_period({}))["hot_unanswered"] == 0


def test_a_call_logged_late_does_not_move_the_last_contact_back(users):
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound", author=users["csr"])
    log_interaction(
        lead_id=lead.pk,
        kind="call_outbound",
        author=users["sales"],
        occurred_at=timezone.now() - timedelta(days=3),
    )
    lead.refresh_from_db()
    assert lead.last_contacted_at > timezone.now() - timedelta(minutes=5)
