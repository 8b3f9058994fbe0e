"""The leads API as integrators and the browser's scripts use it (CONTRACT "Leads")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Interaction, Lead
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, lead_after, sales_ready_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def csr_api(users, api_as):
    return api_as(users["csr"])


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_is_paginated_with_count_and_links(csr_api):
    LeadFactory.create_batch(30)
    body = csr_api.get("/api/v1/leads/").json()
    assert body["count"] == 30 and len(body["results"]) == 25
    assert body["next"].endswith("page=2") and body["previous"] is None
    assert len(csr_api.get(body["next"]).json()["results"]) == 5


def test_lead_detail_has_the_contract_fields(csr_api):
    lead = LeadFactory(inquiry_reason="Furnace died", desired_outcome="Heat by Friday")
    body = csr_api.get(f"/api/v1/leads/{lead.pk}/").json()
    for field in [
        "id",
        "contact",
        "stage",
        "score",
        "temperature",
        "owner",
        "inquiry_reason",
        "desired_outcome",
        "source",
        "offer",
        "created_at",
        "last_activity_at",
    ]:
        assert field in body
    assert body["inquiry_reason"] == "Furnace died" and body["contact"] == lead.contact_id


def test_filters_by_stage_temperature_score_and_source(csr_api, users):
    hot = sales_ready_lead({"timeline": "this_month"}, source="phone", owner=users["sales"])  # 80
    warm = lead_after("call_inbound", source="web_form")  # 50
    cold = lead_after("email_click", stage="list", source="list")  # 5: a bought name who clicked, no inquiry yet
    assert [(lead.stage, lead.temperature) for lead in (hot, warm, cold)] == [
        ("sales_ready", "hot"),
        ("inquiry", "warm"),
        ("list", "cold"),
    ]
    assert ids(csr_api.get("/api/v1/leads/?stage=sales_ready")) == [hot.pk]
    assert set(ids(csr_api.get("/api/v1/leads/?stage=inquiry&stage=list"))) == {warm.pk, cold.pk}
    assert ids(csr_api.get("/api/v1/leads/?temperature=warm")) == [warm.pk]
    assert set(ids(csr_api.get("/api/v1/leads/?score_min=40&score_max=80"))) == {hot.pk, warm.pk}
    assert ids(csr_api.get("/api/v1/leads/?source=list")) == [cold.pk]
    assert ids(csr_api.get(f"/api/v1/leads/?owner={users['sales'].pk}")) == [hot.pk]


def test_owner_me_means_the_caller(users, api_as):
    mine = sales_ready_lead(owner=users["sales"])
    sales_ready_lead()
    assert ids(api_as(users["sales"]).get("/api/v1/leads/?owner=me")) == [mine.pk]


def test_created_between_filters(csr_api):
    old = LeadFactory()
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    new = LeadFactory()
    cutoff = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(csr_api.get("/api/v1/leads/", {"created_after": cutoff})) == [new.pk]
    assert ids(csr_api.get("/api/v1/leads/", {"created_before": cutoff})) == [old.pk]


def test_q_finds_by_name_email_phone_in_any_format_and_company(csr_api):
    company = CompanyFactory(name="Harbor Logistics")
    lead = LeadFactory(
        contact=ContactFactory(
            first_name="Priya", last_name="Nair", email="priya@harbor.example", phone="+15550100042", company=company
        )
    )
    LeadFactory.create_batch(3)
    for text in ["Priya", "nair", "Priya Nair", "priya@harbor", "(555) 010-0042", "555.010.0042", "harbor"]:
        assert ids(csr_api.get("/api/v1/leads/", {"q": text})) == [lead.pk], text


def test_ordering_by_score_and_last_activity(csr_api):
    a = lead_after({"timeline": "this_quarter"})  # 10
    b = lead_after("call_inbound", {"timeline": "this_month", "decision_maker": "yes", "system_age": "over_15"})  # 90
    c = lead_after("call_inbound")  # 50
    assert ids(csr_api.get("/api/v1/leads/?ordering=-score")) == [b.pk, c.pk, a.pk]
    assert ids(csr_api.get("/api/v1/leads/?ordering=score")) == [a.pk, c.pk, b.pk]
    now = timezone.now()
    for lead, days in ((a, 1), (b, 3), (c, 2)):
        Lead.objects.filter(pk=lead.pk).update(last_activity_at=now - timedelta(days=days))
    assert ids(csr_api.get("/api/v1/leads/?ordering=-last_activity_at")) == [a.pk, c.pk, b.pk]


@pytest.mark.parametrize(
    "query",
    [
        "stage=bogus",
        "temperature=lukewarm",
        "score_min=abc",
        "created_after=yesterday",
        "owner=someone",
        "ordering=password",
    ],
)
def test_bad_filters_are_400_not_500(csr_api, query):
    LeadFactory()
    response = csr_api.get(f"/api/v1/leads/?{query}")
    if query.startswith("ordering"):
        assert response.status_code == 200  # DRF ignores unknown ordering fields
    else:
        assert response.status_code == 400, response.content


def test_list_query_count_does_not_grow_with_the_page(csr_api, django_assert_max_num_queries):
    LeadFactory.create_batch(25, contact__company=CompanyFactory())
    with django_assert_max_num_queries(6):
        assert len(csr_api.get("/api/v1/leads/").json()["results"]) == 25


def test_patch_changes_the_editable_facts(csr_api):
    lead = LeadFactory()
    response = csr_api.patch(
        f"/api/v1/leads/{lead.pk}/", {"desired_outcome": "Half the bills", "estimated_value": "4500.00"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["desired_outcome"] == "Half the bills"
    lead.refresh_from_db()
    assert lead.desired_outcome == "Half the bills" and str(lead.estimated_value) == "4500.00"


@pytest.mark.parametrize("field,value", [("score", 100), ("stage", "won"), ("temperature", "hot"), ("owner", 1)])
def test_patch_refuses_read_only_fields_and_changes_nothing(csr_api, field, value):
    lead = LeadFactory(desired_outcome="Before")
    response = csr_api.patch(f"/api/v1/leads/{lead.pk}/", {field: value, "desired_outcome": "After"}, format="json")
    assert response.status_code == 400 and field in response.json()
    lead.refresh_from_db()
    assert (lead.desired_outcome, lead.stage, lead.score) == ("Before", "inquiry", 0)


def test_patch_rejects_a_negative_estimate(csr_api):
    lead = LeadFactory()
    assert csr_api.patch(f"/api/v1/leads/{lead.pk}/", {"estimated_value": "-5"}, format="json").status_code == 400


def test_logging_an_interaction_returns_the_new_score_and_breakdown(csr_api, users):
    lead = LeadFactory()
    response = csr_api.post(
        f"/api/v1/leads/{lead.pk}/interactions/",
        {
            "kind": "call_inbound",
            "note": "Wants a quote",
            "duration_seconds": 240,
            "answers": [{"question": "timeline", "answer": "this_month"}],
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["lead"] == {"id": lead.pk, "score": 70, "temperature": "hot", "stage": "inquiry"}
    assert body["interaction"]["kind"] == "call_inbound" and body["interaction"]["author"] == "csr1"
    assert body["breakdown"] == [
        {"rule": "behaviour.inbound_call", "label": "Called us with an inquiry", "points": 50},
        {"rule": "answer.timeline", "label": "When are you planning to buy? Within a month", "points": 20},
    ]
    lead.refresh_from_db()
    assert (lead.score, lead.temperature, lead.rules_version) == (70, "hot", 1)
    assert lead.score_changes.get().reason == "Inbound call logged"


def test_a_list_contact_who_calls_becomes_an_inquiry(csr_api):
    lead = LeadFactory(stage="list")
    body = csr_api.post(f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "call_inbound"}, format="json").json()
    assert body["lead"]["stage"] == "inquiry"
    assert lead.stage_changes.get().to_stage == "inquiry"


def test_our_own_letters_do_not_count_as_activity(csr_api):
    lead = LeadFactory()
    csr_api.post(f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "letter_sent"}, format="json")
    lead.refresh_from_db()
    assert lead.last_activity_at is None


@pytest.mark.parametrize(
    "body,field",
    [
        ({"kind": "teleport"}, "kind"),
        ({}, "kind"),
        ({"kind": "note", "answers": [{"question": "shoe_size", "answer": "9"}]}, "answers"),
        ({"kind": "note", "answers": [{"question": "timeline", "answer": "never"}]}, "answers"),
        ({"kind": "note", "answers": "yes"}, "answers"),
        ({"kind": "answers"}, "answers"),
        ({"kind": "note", "duration_seconds": -5}, "duration_seconds"),
        ({"kind": "note", "occurred_at": "last tuesday"}, "occurred_at"),
        ({"kind": "note", "metadata": ["x"]}, "metadata"),
        ({"kind": "note", "offer_code": "NOSUCH"}, "offer_code"),
        ({"kind": "note", "note": "x" * 5001}, "note"),
    ],
)
def test_bad_interactions_are_refused_and_change_nothing(csr_api, body, field):
    lead = LeadFactory()
    response = csr_api.post(f"/api/v1/leads/{lead.pk}/interactions/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Interaction.objects.count() == 0
    lead.refresh_from_db()
    assert lead.score == 0


def test_interaction_on_a_missing_lead_is_404(csr_api):
    assert csr_api.post("/api/v1/leads/999999/interactions/", {"kind": "note"}, format="json").status_code == 404


def test_interactions_list_newest_first(csr_api):
    lead = LeadFactory()
    for kind in ["email_open", "web_visit", "call_inbound"]:
        csr_api.post(f"/api/v1/leads/{lead.pk}/interactions/", {"kind": kind}, format="json")
    kinds = [row["kind"] for row in csr_api.get(f"/api/v1/leads/{lead.pk}/interactions/").json()["results"]]
    assert kinds == ["call_inbound", "web_visit", "email_open"]


def test_score_endpoint_breakdown_adds_up_to_the_score(csr_api):
    lead = LeadFactory(contact__title="Owner", contact__company=CompanyFactory(size_band="50-249"))
    for kind in ["form", "email_open", "email_click"]:
        csr_api.post(f"/api/v1/leads/{lead.pk}/interactions/", {"kind": kind}, format="json")
    body = csr_api.get(f"/api/v1/leads/{lead.pk}/score/").json()
    assert body["score"] == sum(line["points"] for line in body["breakdown"]) == 30 + 2 + 5 + 5 + 5
    assert body["temperature"] == "warm" and body["rules_version"] == 1 and body["computed_at"]
    assert set(body["breakdown"][0]) == {"rule", "label", "points"}


def test_published_rules_endpoint(csr_api):
    body = csr_api.get("/api/v1/scoring/rules/").json()
    assert body["version"] == 1
    assert body["thresholds"] == {"hot": 70, "warm": 40, "sales_ready": 60}
    assert len(body["questions"]) >= 3
    inbound = next(rule for rule in body["rules"] if rule["kind"] == "call_inbound")
    assert inbound["points"] == 50


def test_openapi_schema_and_docs_are_served_to_signed_in_staff_only(client, users):
    from tests.factories import signed_in_client

    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)
    staff = signed_in_client(users["csr"])
    assert staff.get("/api/schema/").status_code == 200
    docs = staff.get("/api/docs/")
    assert docs.status_code == 200 and b"<script>" not in docs.content  # its script is a file: CSP holds
    assert signed_in_client(users["nobody"]).get("/api/schema/").status_code == 403


def test_crm_public_api_docs_opens_the_schema_and_docs_to_everyone():
    """The views read the setting when they are defined, so a fresh process shows it."""
    import os
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.test import Client; print(Client().get('/api/schema/').status_code)"
    )
    env = {**os.environ, "CRM_PUBLIC_API_DOCS": "1", "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_DEBUG": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "200"
