"""Concurrency on PostgreSQL: simultaneous submissions and interactions lose nothing, duplicate nothing."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from rest_framework.test import APIClient

from crm.models import Contact
from leads.models import IdempotencyRecord, Interaction, Lead
from leads.services import log_interaction
from scoring.models import RuleSet, ScoreChange
from tests.factories import LeadFactory, sales_ready_lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count, action):
    """Run action(i) in `count` threads released together; each thread closes its connection."""
    barrier = Barrier(count)

    def worker(i):
        barrier.wait()
        try:
            return action(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_twenty_identical_submissions_with_one_idempotency_key_make_one_lead(form_key):
    _, raw = form_key
    body = {"email": "rush@example.com", "first_name": "Rush", "message": "Clicked twenty times"}

    def submit(_):
        response = APIClient().post(
            "/api/v1/capture/", body, format="json", HTTP_X_FORM_KEY=raw, HTTP_IDEMPOTENCY_KEY="double-click-1"
        )
        return response.status_code, response.json()

    results = run_at_once(20, submit)
    assert {status for status, _ in results} == {201}
    assert all(body == results[0][1] for _, body in results)
    assert Contact.objects.count() == 1
    assert Lead.objects.count() == 1
    assert Interaction.objects.filter(kind="form").count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_simultaneous_submissions_of_one_person_never_make_a_second_contact(form_key):
    _, raw = form_key

    def submit(i):
        return (
            APIClient()
            .post(
                "/api/v1/capture/",
                {"email": "Same@Example.com", "message": f"try {i}"},
                format="json",
                HTTP_X_FORM_KEY=raw,
            )
            .status_code
        )

    statuses = run_at_once(12, submit)
    assert sorted(statuses) == [200] * 11 + [201]
    assert Contact.objects.count() == 1
    assert Lead.objects.count() == 1
    assert Interaction.objects.filter(kind="form").count() == 12


def test_interactions_logged_at_the_same_moment_are_all_scored(db):
    # One point an e-mail open and no cap, so the final score counts every interaction.
    rule_set = RuleSet.objects.get(status="published")
    rule_set.definition = {
        **rule_set.definition,
        "rules": [{"key": "open", "label": "Opened", "kind": "email_open", "points": 1, "cap": 100}],
        "profile": [],
        "decay": None,
    }
    rule_set.save()
    from scoring import services as scoring_services

    scoring_services._parsed_books.clear()
    lead = LeadFactory()

    run_at_once(16, lambda i: log_interaction(lead_id=lead.pk, kind="email_open"))
    lead.refresh_from_db()
    assert Interaction.objects.filter(lead=lead).count() == 16
    assert lead.score == 16
    assert sorted(ScoreChange.objects.filter(lead=lead).values_list("new_score", flat=True)) == list(range(1, 17))


def test_sixteen_salespeople_claiming_at_once_each_get_a_different_lead():
    from crm.services import create_staff_user
    from sales.services import claim_next

    for _ in range(10):
        sales_ready_lead()
    people = [create_staff_user(username=f"rep{i}", role="sales") for i in range(16)]

    claimed = run_at_once(16, lambda i: getattr(claim_next(by=people[i]), "pk", None))
    got = [pk for pk in claimed if pk is not None]
    assert len(got) == 10 and len(set(got)) == 10
    assert claimed.count(None) == 6
    assert Lead.objects.filter(owner__isnull=True).count() == 0
