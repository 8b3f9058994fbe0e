"""The rules of engagement: one row, one default, read once per request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.engagement import rules_of_engagement
from leads.models import RulesOfEngagement, default_required_facts
from leads.services import log_interaction
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def test_the_row_the_migration_writes_carries_the_one_default():
    rules = rules_of_engagement()
    assert rules.pk == 1 and rules.required_facts == default_required_facts() == ["inquiry_reason", "desired_outcome"]
    assert RulesOfEngagement._meta.get_field("required_facts").default is default_required_facts


def test_a_claim_reads_the_rules_of_engagement_once(users, api_as):
    lead = LeadFactory(**FACTS)
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=[{"question": "timeline", "answer": "this_month"}])
    with CaptureQueriesContext(connection) as queries:
        answer = api_as(users["sales"]).post(f"/api/v1/leads/{lead.pk}/claim/")
    assert answer.status_code == 200, answer.content
    reads = [q for q in queries.captured_queries if 'FROM "leads_rulesofengagement"' in q["sql"]]
    assert len(reads) == 1


def test_a_change_is_seen_by_the_next_request(users, api_as):
    manager = api_as(users["manager"])
    body = {"required_facts": ["inquiry_reason"], "hot_response_minutes": 30, "reassign_after_minutes": None}
    assert manager.put("/api/v1/engagement/", body, format="json").status_code == 200
    assert manager.get("/api/v1/engagement/").json()["required_facts"] == ["inquiry_reason"]
    assert rules_of_engagement().hot_response_minutes == 30
