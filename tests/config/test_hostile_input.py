"""Hostile input gets a clear 4xx and changes nothing: deep JSON, NUL characters, ids that are
not ids, time-zone offsets PostgreSQL refuses, deleting what others refer to."""

import logging

import pytest

from campaigns.models import Campaign, Offer
from leads.models import Interaction, Lead
from scoring.models import RuleSet
from tests.factories import LeadFactory, LogRecords, sales_ready_lead, signed_in_client

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
    from django.utils import timezone

    manager = api_as(users["manager"])
    assert manager.get("/api/v1/offers/99999999999999999999/").status_code == 404
    assert manager.get("/api/v1/jobs/99999999999999999999/").status_code == 404
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Spring"),
        code="SPRING25",
        headline="x",
        starts_at=now,
        deadline=now.replace(year=now.year + 1),
        launched_at=now,
    )
    huge = manager.post(f"/api/v1/offers/{offer.pk}/redeem/", {"lead": 10**30}, format="json")
    assert huge.status_code in (400, 404) and Offer.objects.get(pk=offer.pk).redeemed == 0


@pytest.mark.parametrize("value", ["²", "٣", "1e3"])
def test_digits_that_are_not_ascii_are_refused_not_a_500(value, users, api_as):
    from urllib.parse import quote

    lead = sales_ready_lead()
    manager = api_as(users["manager"])
    assert manager.get(f"/api/v1/leads/?owner={quote(value)}").status_code == 400
    assert manager.get(f"/api/v1/queue/?limit={quote(value)}").status_code == 400
    assert manager.post(f"/api/v1/leads/{lead.pk}/handover/", {"owner": value}, format="json").status_code == 400
    page = signed_in_client(users["manager"])
    assert page.post(f"/leads/{lead.pk}/feedback/", {"rating": value, "reason": "x"}).status_code == 302
    assert page.post(f"/leads/{lead.pk}/handover/", {"owner": value}).status_code == 302


def test_a_forged_queue_cursor_is_a_400_on_the_api_and_the_page(users, api_as):
    import base64

    cursor = base64.urlsafe_b64encode(b"50|2026-01-01T00:00:00+20:00|1").decode()
    assert api_as(users["sales"]).get(f"/api/v1/queue/?after={cursor}").status_code == 400
    assert signed_in_client(users["sales"]).get(f"/queue/?after={cursor}").status_code == 400


def test_a_form_encoded_body_is_not_read_as_json_by_the_api(users, api_as):
    nested = "[" * 5000 + "]" * 5000
    response = api_as(users["marketing"]).post(
        "/api/v1/campaigns/", {"name": "x", "segment": nested}, format="multipart"
    )
    assert response.status_code in (400, 415)  # the form is not read at all
    assert not Campaign.objects.exists()


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


BROKEN_MULTIPART = [
    ("multipart/form-data", b"--XYZ\r\nContent-Disposition: form-data; name=list_name\r\n\r\nx\r\n--XYZ--"),
    ("multipart/form-data; boundary=", b"garbage"),
    ("multipart/form-data; boundary=\xe9", b"garbage"),
]


@pytest.mark.parametrize("content_type,body", BROKEN_MULTIPART, ids=["no-boundary", "empty-boundary", "non-ascii"])
def test_a_broken_multipart_body_is_a_clear_400_logged_in_one_line(content_type, body, users, api_as):
    from imports.models import ImportRun

    handler = LogRecords()
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        api = api_as(users["marketing"]).generic("POST", "/api/v1/imports/", body, content_type=content_type)
        page = signed_in_client(users["marketing"]).generic("POST", "/imports/", body, content_type=content_type)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert api.status_code == 400 and api["Content-Type"] == "application/json"
    assert api.json()["detail"].startswith("The form data could not be read: ")
    assert page.status_code == 400 and b"The form data could not be read" in page.content
    assert len(handler.records) == 2, [record.getMessage() for record in handler.records]
    for record in handler.records:
        assert record.exc_info is None
        assert logging.Formatter().format(record).count("\n") == 0
    assert not ImportRun.objects.exists()


def test_an_overlong_query_string_on_the_api_is_a_json_414(users, api_as):
    from config.middleware import MAX_API_QUERY_BYTES

    api = api_as(users["csr"])
    longest = "x=" + "a" * (MAX_API_QUERY_BYTES - 2)
    assert api.get(f"/api/v1/leads/?{longest}").status_code == 200
    refused = api.get(f"/api/v1/leads/?{longest}a")
    assert refused.status_code == 414 and refused["Content-Type"] == "application/json"
    assert "longer than 4096 bytes" in refused.json()["detail"]
    page = signed_in_client(users["csr"]).get(f"/leads/?{longest}a")
    assert page.status_code == 200  # pages read what gunicorn lets through
