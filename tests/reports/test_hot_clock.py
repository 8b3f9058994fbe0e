"""The hot clock starts when a prospect turns hot (at the interaction that made it hot), never
when a sale pins the score at 100, and stops at our first contact, the very call that made it
hot included."""

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


def test_the_call_that_makes_a_caller_hot_answers_them(users):
    """A CSR takes a call and the caller's answers make them hot: that conversation is our
    contact, so the lead is not left waiting for a call it just had, and it waited 0 minutes."""
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=HOT_ANSWER, author=users["csr"])
    lead.refresh_from_db()
    assert lead.temperature == "hot" and lead.last_contacted_at >= lead.hot_since
    two_hours_later = timezone.now() + timedelta(hours=2)
    assert not waiting_hot_leads(two_hours_later).filter(pk=lead.pk).exists()
    figures = summary(parse_period({}))
    assert (figures["hot_unanswered"], figures["median_hot_response_minutes"]) == (0, 0.0)


def test_a_lead_turned_hot_by_something_logged_late_has_been_hot_since_it_happened(users):
    """A call nobody of ours took (no author: a phone system's record) logged two hours after it
    happened: the prospect has been hot, and waiting, since the call, not since it was logged."""
    lead = LeadFactory()
    two_hours_ago = timezone.now() - timedelta(hours=2)
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=HOT_ANSWER, occurred_at=two_hours_ago)
    lead.refresh_from_db()
    assert lead.hot_since == two_hours_ago == lead.first_hot_at
    assert waiting_hot_leads().filter(pk=lead.pk).exists()  # past the hour's response time


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
