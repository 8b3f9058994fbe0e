"""A new prospect's capture written by one statement (leads.intake.receive_new, PostgreSQL), and
what it must never get wrong: every row the longer way writes, scored by the published rules, with
a form key that another process revoked or edited refused at once. On SQLite the same captures go
the longer way, and the same assertions hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import Contact
from leads.models import FormKey, IdempotencyRecord, Interaction, Lead, StageChange
from leads.scores import lead_facts
from scoring import services as scoring_services
from scoring.defaults import DEFAULT_DEFINITION
from scoring.engine import score
from scoring.models import ScoreChange
from scoring.services import publish_draft, published_rule_book, save_draft

pytestmark = pytest.mark.django_db
URL = "/api/v1/capture/"


def capture(raw_key, body, **headers):
    return APIClient().post(URL, body, format="json", HTTP_X_FORM_KEY=raw_key, **headers)


def counts():
    return Contact.objects.count(), Lead.objects.count(), Interaction.objects.count()


def test_a_new_prospect_is_written_whole_and_scored_by_the_engine(form_key):
    _, raw = form_key
    body = {
        "first_name": "Ada",
        "last_name": "Byron",
        "email": "ada@example.com",
        "company": "Analytical Engines",
        "message": "Our boiler is 30 years old",
        "utm_source": "newsletter",
        "consent": True,
    }
    with CaptureQueriesContext(connection) as queries:
        response = capture(raw, body, HTTP_IDEMPOTENCY_KEY="ada-1")
    assert response.status_code == 201, response.content
    if connection.vendor == "postgresql":
        # The key and the rules read once per process (two reads), the company found or made,
        # then one statement for the person, the lead and everything that comes with them.
        # (run as a statement prepared on the connection: config.prepared)
        writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("WITH", "EXECUTE"))]
        assert len(writes) == 1
    lead = Lead.objects.select_related("contact__company").get(pk=response.json()["lead"])
    assert response.json() == {"lead": lead.pk, "contact": lead.contact_id, "status": "created"}
    assert (lead.contact.email, lead.contact.consent, lead.contact.company.name) == (
        "ada@example.com",
        True,
        "Analytical Engines",
    )
    assert (lead.stage, lead.source, lead.utm_source, lead.inquiry_reason) == (
        "inquiry",
        "web_form",
        "newsletter",
        "Our boiler is 30 years old",
    )
    first = StageChange.objects.get(lead=lead)
    assert (first.from_stage, first.to_stage, first.reason) == ("", "inquiry", "Web form: test website")
    interaction = Interaction.objects.get(lead=lead)
    assert interaction.kind == "form" and interaction.metadata["form"] == "test website"
    expected = score(lead_facts(lead), published_rule_book())
    assert (lead.score, lead.temperature, lead.rules_version) == (expected.total, expected.temperature, 1)
    assert ScoreChange.objects.filter(lead=lead, new_score=expected.total).count() == (1 if expected.total else 0)
    record = IdempotencyRecord.objects.get(key="ada-1")
    assert record.status_code == 201 and record.response == response.json()
    replay = capture(raw, body, HTTP_IDEMPOTENCY_KEY="ada-1")
    assert replay.json() == response.json() and counts() == (1, 1, 1)


def test_the_same_person_again_merges_instead_of_writing_a_second_contact(form_key):
    _, raw = form_key
    assert capture(raw, {"email": "grace@example.com"}).status_code == 201
    again = capture(raw, {"email": "Grace@Example.com", "message": "Still interested"})
    assert again.status_code == 200 and again.json()["status"] == "merged"
    assert counts() == (1, 1, 2)


def test_a_key_revoked_by_another_process_is_refused_at_once(form_key):
    row, raw = form_key
    assert capture(raw, {"email": "first@example.com"}).status_code == 201  # this process holds the key
    FormKey.objects.filter(pk=row.pk).update(revoked_at=timezone.now())  # another process revokes it
    assert capture(raw, {"email": "second@example.com"}).status_code == 401  # a new person
    assert capture(raw, {"email": "first@example.com"}).status_code == 401  # a known one
    assert counts() == (1, 1, 1)


def test_origins_narrowed_by_another_process_apply_at_once(form_key):
    row, raw = form_key
    origin = {"HTTP_ORIGIN": "https://shop.example.com"}
    assert capture(raw, {"email": "first@example.com"}, **origin).status_code == 201
    FormKey.objects.filter(pk=row.pk).update(allowed_origins=["https://other.example.com"])
    response = capture(raw, {"email": "second@example.com"}, **origin)
    assert response.status_code == 403, response.content
    assert counts() == (1, 1, 1)


def test_rules_published_by_another_process_score_the_next_prospect(form_key):
    _, raw = form_key
    assert capture(raw, {"email": "before@example.com"}).status_code == 201  # this process read version 1
    rules = [
        {**rule, "points": 33, "cap": 33} if rule["key"] == "web_form" else rule for rule in DEFAULT_DEFINITION["rules"]
    ]
    definition = {**DEFAULT_DEFINITION, "rules": rules}
    save_draft(definition=definition)
    publish_draft()
    scoring_services._published_version = 1  # as if another process had published: this one still holds 1
    response = capture(raw, {"email": "after@example.com"})
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["lead"])
    expected = score(lead_facts(lead), published_rule_book())
    assert lead.rules_version == 2 and lead.score == expected.total
    assert any(line.rule == "behaviour.web_form" and line.points == 33 for line in expected.breakdown)
