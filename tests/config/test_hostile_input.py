"""Hostile input gets a clear 4xx and changes nothing: deep JSON, NUL characters, ids that are
not ids, time-zone offsets PostgreSQL refuses, deleting what others refer to."""

import pytest

from campaigns.models import Campaign, Offer
from leads.models import Interaction, Lead
from scoring.models import RuleSet
from tests.factories import LeadFactory, signed_in_client

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 2000 + "]" * 2000  # about 4 KB
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize(
    "body", [DEEP_ARRAY, DEEP_OBJECT, '{"a":' * 40 + "1" + "}" * 40], ids=["array", "object", "40"]
)
def test_deeply_nested_json_is_refused_on_every_json_endpoint(body, users, api_as, form_key):
    _row, raw_key = form_key
    lead = LeadFactory()
    anonymous = api_as(None)
    marketing = api_as(users["marketing"])
    calls = [
        (anonymous, "post", "/api/v1/capture/", {"HTTP_X_FORM_KEY": raw_key}),
        (anonymous, "post", "/api/v1/auth/token/", {}),
        (marketing, "post", f"/api/v1/leads/{lead.pk}/interactions/", {}),
        (marketing, "patch", f"/api/v1/leads/{lead.pk}/", {}),
        (marketing, "put", "/api/v1/scoring/draft/", {}),
        (marketing, "post", "/api/v1/offers/", {}),
    ]
    for client, method, url, headers in calls:
        response = getattr(client, method)(url, data=body, content_type="application/json", **headers)
        assert response.status_code == 400, (url, response.content[:200])
        assert "nested deeper" in response.json()["detail"]
    assert Interaction.objects.count() == 0 and Lead.objects.count() == 1


def test_nul_in_interaction_metadata_is_refused(users, api_as):
    lead = LeadFactory()
    response = api_as(users["csr"]).post(
        f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "note", "metadata": {"page": "a\x00b"}}, format="json"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Interaction.objects.exists()


def test_nul_in_a_metadata_key_is_refused(users, api_as):
    lead = LeadFactory()
    response = api_as(users["csr"]).post(
        f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "note", "metadata": {"pa\x00ge": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_nul_in_a_draft_rule_key_is_refused_and_the_draft_is_unchanged(users, api_as):
    marketing = api_as(users["marketing"])
    draft = marketing.get("/api/v1/scoring/draft/").json()
    draft["rules"][0]["key"] = "call\x00inbound"
    response = marketing.put("/api/v1/scoring/draft/", draft, format="json")
    assert response.status_code == 400
    stored = RuleSet.objects.get(status="draft").definition
    assert "\x00" not in stored["rules"][0]["key"]


def test_nul_in_the_scoring_pages_json_editor_is_a_form_error(users):
    page = signed_in_client(users["marketing"])
    page.get("/scoring/")
    response = page.post("/scoring/draft/json/", {"definition": '{"rules": [{"key": "a\\u0000b"}]}'})
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.parametrize(
    "url",
    ["/api/v1/callers/?q=ab%00c", "/api/v1/offers/lookup/?code=SP%00RING", "/api/v1/leads/?q=x%00y"],
)
def test_nul_in_a_query_parameter_is_refused(url, users, api_as):
    response = api_as(users["csr"]).get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_a_browser_search_or_form_is_refused(users):
    page = signed_in_client(users["csr"])
    assert page.get("/console/search/?q=ab%00c").status_code == 400
    assert page.get("/leads/?q=ab%00c").status_code == 400
    response = page.post("/console/new-caller/", {"first_name": "Ann\x00", "phone": "555 010 1234"})
    assert response.status_code == 400
    assert not Lead.objects.exists()


@pytest.mark.parametrize("action", ["score/", "interactions/", "claim/", "feedback/", "close/", ""])
@pytest.mark.parametrize("lead_id", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_a_lead_id_that_is_not_an_id_is_404(action, lead_id, users, api_as):
    manager = api_as(users["manager"])
    method = "get" if action in ("score/", "") else "post"
    response = getattr(manager, method)(f"/api/v1/leads/{lead_id}/{action}", {}, format="json")
    assert response.status_code == 404


def test_a_huge_offer_or_job_id_is_404(users, api_as):
    manager = api_as(users["manager"])
    assert manager.get("/api/v1/offers/99999999999999999999/").status_code == 404
    assert manager.get("/api/v1/jobs/99999999999999999999/").status_code == 404
    assert manager.post("/api/v1/offers/1/redeem/", {"lead": 10**30}, format="json").status_code == 404


@pytest.mark.parametrize("param", ["created_after", "created_before"])
@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+20:00", "2026-01-01T00:00:00-16:30", "0001-01-01T00:00:00+01:00"]
)
def test_time_zone_offsets_postgresql_refuses_are_400(param, value, users, api_as):
    from urllib.parse import quote

    response = api_as(users["csr"]).get(f"/api/v1/leads/?{param}={quote(value)}")
    assert response.status_code == 400
    assert param in response.json()


def test_any_real_offset_is_compared_in_utc(users, api_as):
    from datetime import timedelta
    from urllib.parse import quote

    from django.utils import timezone

    lead = LeadFactory()
    just_before = (lead.created_at - timedelta(seconds=1)).astimezone(timezone.get_fixed_timezone(14 * 60))
    response = api_as(users["csr"]).get(f"/api/v1/leads/?created_after={quote(just_before.isoformat())}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [lead.pk]


def test_deleting_a_campaign_that_has_offers_is_a_409_with_the_reason(users, api_as):
    from django.utils import timezone

    campaign = Campaign.objects.create(name="Spring")
    Offer.objects.create(
        campaign=campaign,
        code="SPRING25",
        headline="x",
        starts_at=timezone.now(),
        deadline=timezone.now().replace(year=2100),
    )
    response = api_as(users["marketing"]).delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 409
    assert "1 offer" in response.json()["detail"]
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    empty = Campaign.objects.create(name="Empty")
    assert api_as(users["marketing"]).delete(f"/api/v1/campaigns/{empty.pk}/").status_code == 204
