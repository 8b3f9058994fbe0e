"""POST /api/v1/capture/: what a website's form gets back, and what lands in the CRM."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Campaign, Offer
from crm.models import Contact
from leads.capture import revoke_form_key
from leads.models import IdempotencyRecord, Interaction, Lead, StageChange
from sales.services import close_lead

pytestmark = pytest.mark.django_db
URL = "/api/v1/capture/"


@pytest.fixture
def post(form_key):
    """post(body, headers=..., format=...) with the form key."""
    _, raw = form_key

    def send(body, format="json", key=raw, **headers):
        client = APIClient()
        if key is not None:
            headers["HTTP_X_FORM_KEY"] = key
        if format == "form":
            return client.post(URL, body, **headers)  # multipart-free: urlencoded below
        return client.post(URL, body, format=format, **headers)

    return send


def post_urlencoded(raw_key, text, **headers):
    return APIClient().generic(
        "POST", URL, text, content_type="application/x-www-form-urlencoded", HTTP_X_FORM_KEY=raw_key, **headers
    )


def counts():
    return (Contact.objects.count(), Lead.objects.count(), Interaction.objects.count())


def test_new_prospect_creates_contact_lead_and_form_interaction(post):
    response = post(
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": " Ann.Lee@Example.COM ",
            "phone": "(555) 010-2030",
            "company": "Lee Dental",
            "title": "Owner",
            "message": "My furnace is 20 years old",
            "consent": True,
        }
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created"
    lead = Lead.objects.get(pk=body["lead"])
    assert lead.contact_id == body["contact"]
    assert lead.contact.email == "ann.lee@example.com"
    assert lead.contact.phone == "+15550102030"
    assert lead.contact.company.name == "Lee Dental"
    assert lead.contact.consent is True
    assert lead.stage == "inquiry" and lead.source == "web_form"
    assert lead.inquiry_reason == "My furnace is 20 years old"
    assert list(lead.interactions.values_list("kind", flat=True)) == ["form"]
    assert list(lead.stage_changes.values_list("to_stage", flat=True)) == ["inquiry"]
    # A web form is worth 30 under the default rules, and a decision-maker's title 5 more.
    assert (lead.score, lead.temperature, lead.rules_version) == (35, "cold", 1)


def test_returning_prospect_merges_into_the_open_lead(post):
    first = post({"email": "bo@example.com", "message": "Quote please"}).json()
    response = post({"email": "BO@example.com", "phone": "555-010-9999", "message": "Still waiting"})
    assert response.status_code == 200
    assert response.json() == {"lead": first["lead"], "contact": first["contact"], "status": "merged"}
    assert Contact.objects.count() == 1 and Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert lead.interactions.filter(kind="form").count() == 2
    assert lead.inquiry_reason == "Quote please"  # the first words stay
    assert lead.contact.phone == "+15550109999"  # the missing phone is filled in


def test_match_by_phone_typed_differently_merges(post):
    first = post({"phone": "+1 555 010 7777", "first_name": "Cy"}).json()
    response = post({"phone": "(555) 010-7777"})
    assert response.status_code == 200 and response.json()["contact"] == first["contact"]


def test_merge_opens_a_new_lead_when_the_old_one_is_closed(post, users):
    first = post({"email": "dee@example.com"}).json()
    close_lead(lead_id=first["lead"], outcome="won", amount="900", by=users["manager"])
    response = post({"email": "dee@example.com", "message": "Need a second unit"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "merged" and body["contact"] == first["contact"] and body["lead"] != first["lead"]
    assert Lead.objects.get(pk=body["lead"]).inquiry_reason == "Need a second unit"


def test_unclosed_prospect_who_writes_again_becomes_an_inquiry(post, users):
    first = post({"email": "eve@example.com"}).json()
    close_lead(lead_id=first["lead"], outcome="unclosed", reason="Not this year", by=users["manager"])
    post({"email": "eve@example.com"})
    lead = Lead.objects.get(pk=first["lead"])
    assert lead.stage == "inquiry"
    assert StageChange.objects.filter(lead=lead, from_stage="unclosed", to_stage="inquiry").exists()


def test_form_encoded_body_works_like_json(form_key):
    _, raw = form_key
    response = post_urlencoded(raw, "email=form%40example.com&first_name=Flo&consent=true&utm_source=google")
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.contact.first_name == "Flo" and lead.contact.consent and lead.utm_source == "google"


def test_internal_fields_are_ignored(post, users):
    response = post(
        {
            "email": "sly@example.com",
            "score": 100,
            "stage": "won",
            "owner": users["sales"].pk,
            "temperature": "hot",
            "source": "referral",
        }
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.stage == "inquiry" and lead.owner is None and lead.source == "web_form"
    assert lead.score < 100


def test_utm_fields_and_offer_code_are_kept_as_the_source(post):
    now = timezone.now()
    campaign = Campaign.objects.create(name="Spring")
    offer = Offer.objects.create(
        campaign=campaign,
        code="SPRING25",
        headline="25% off",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=9),
        launched_at=now,
    )
    post(
        {
            "email": "utm@example.com",
            "offer_code": " spring25 ",
            "utm_source": "newsletter",
            "utm_medium": "email",
            "utm_campaign": "spring",
        }
    )
    lead = Lead.objects.get()
    assert (lead.offer, lead.campaign, lead.offer_code_problem) == (offer, campaign, "")
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("newsletter", "email", "spring")


def test_unknown_offer_code_is_kept_and_flagged_not_rejected(post):
    response = post({"email": "code@example.com", "offer_code": "NOPE42"})
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.offer_code, lead.offer_code_problem, lead.offer) == ("NOPE42", "unknown", None)


def test_expired_offer_code_is_attributed_and_flagged(post):
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Old"),
        code="OLD10",
        headline="Old",
        starts_at=now - timedelta(days=30),
        deadline=now - timedelta(days=1),
        launched_at=now - timedelta(days=30),
    )
    post({"email": "late@example.com", "offer_code": "old10"})
    lead = Lead.objects.get()
    assert (lead.offer, lead.offer_code_problem) == (offer, "expired")


# --- Idempotency ------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_replays_without_writing(post):
    body = {"email": "idem@example.com", "message": "Hi"}
    first = post(body, HTTP_IDEMPOTENCY_KEY="k-1")
    before = counts()
    again = post(body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert counts() == before


def test_same_idempotency_key_with_another_body_is_a_conflict(post):
    post({"email": "idem@example.com"}, HTTP_IDEMPOTENCY_KEY="k-2")
    before = counts()
    response = post({"email": "other@example.com"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert "different body" in response.json()["detail"]
    assert counts() == before


def test_idempotency_key_expires_after_24_hours(post):
    body = {"email": "old@example.com"}
    post(body, HTTP_IDEMPOTENCY_KEY="k-3")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = post(body, HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 200 and response.json()["status"] == "merged"
    assert Interaction.objects.filter(kind="form").count() == 2


def test_failed_submission_does_not_burn_the_idempotency_key(post):
    assert post({"email": "not-an-email"}, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 400
    assert post({"email": "fine@example.com"}, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 201


# --- Keys, CORS, limits -----------------------------------------------------------------------


def test_missing_unknown_or_revoked_key_is_401(post, form_key):
    assert post({"email": "a@example.com"}, key=None).status_code == 401
    assert post({"email": "a@example.com"}, key="wf_not-a-key").status_code == 401
    revoke_form_key(form_key[0])
    assert post({"email": "a@example.com"}).status_code == 401
    assert counts() == (0, 0, 0)


def test_form_keys_are_stored_hashed(form_key):
    row, raw = form_key
    assert raw not in (row.key_hash, row.prefix) and len(row.key_hash) == 64


def test_allowed_origin_gets_cors_headers(post):
    response = post({"email": "cors@example.com"}, HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_other_origin_is_refused_and_writes_nothing(post):
    response = post({"email": "cors@example.com"}, HTTP_ORIGIN="https://evil.example.net")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert counts() == (0, 0, 0)


def test_preflight_allows_known_origins_only(form_key):
    client = APIClient()
    ok = client.options(URL, HTTP_ORIGIN="https://shop.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Form-Key" in ok["Access-Control-Allow-Headers"]
    bad = client.options(URL, HTTP_ORIGIN="https://evil.example.net", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in bad


def test_oversized_body_is_413_and_writes_nothing(post):
    response = post({"email": "big@example.com", "message": "x" * 20_000})
    assert response.status_code == 413
    assert counts() == (0, 0, 0)


def test_throttled_submissions_get_429_with_retry_after(post, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"capture_key": "100/min", "capture_ip": "3/min"})
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 6_000_030.0)  # mid-window: no edge in the test
    statuses = [post({"email": f"t{i}@example.com"}).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    limited = post({"email": "t9@example.com"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert Lead.objects.count() == 3


def test_each_form_key_has_its_own_budget(post, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"capture_key": "2/min", "capture_ip": "100/min"})
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 6_000_030.0)
    assert [post({"email": f"k{i}@example.com"}).status_code for i in range(3)] == [201, 201, 429]


# --- Bad input: a clear 4xx and nothing written -----------------------------------------------

BAD_BODIES = [
    ({}, "email"),
    ({"first_name": "No contact point"}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"phone": "call me maybe"}, "phone"),
    ({"email": ["a@example.com"]}, "email"),
    ({"email": {"x": 1}}, "email"),
    ({"email": "ok@example.com", "consent": "perhaps"}, "consent"),
    ({"email": "ok@example.com", "first_name": "x" * 101}, "first_name"),
    ({"email": "ok@example.com", "message": 42.5, "company": ["a"]}, "company"),
    ({"email": "ok@example.com", "offer_code": "C" * 41}, "offer_code"),
    ({"email": "bot@example.com", "website": "http://spam.example"}, "website"),
]


@pytest.mark.parametrize("body,field", BAD_BODIES)
def test_bad_fields_get_a_field_error_and_write_nothing(post, body, field):
    response = post(body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "raw,content_type",
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"<xml/>", "application/xml"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx_and_write_nothing(form_key, raw, content_type):
    _, key = form_key
    response = APIClient().generic("POST", URL, raw, content_type=content_type, HTTP_X_FORM_KEY=key)
    assert response.status_code in (400, 415)
    assert "detail" in response.json()
    assert counts() == (0, 0, 0)


def test_overlong_idempotency_key_is_refused(post):
    response = post({"email": "k@example.com"}, HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert response.status_code == 400 and counts() == (0, 0, 0)


def test_an_allowed_origins_page_can_read_errors_too(post):
    unknown_key = post({"email": "x@example.com"}, key="wf_wrong", HTTP_ORIGIN="https://shop.example.com")
    assert unknown_key.status_code == 401
    assert unknown_key["Access-Control-Allow-Origin"] == "https://shop.example.com"
    too_big = post({"email": "x@example.com", "message": "x" * 20_000}, HTTP_ORIGIN="https://shop.example.com")
    assert too_big.status_code == 413
    assert too_big["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in too_big["Vary"] and "Accept" in too_big["Vary"]


def test_the_placement_a_response_came_through_is_attributed(post):
    from campaigns.models import Placement

    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Mix"),
        code="MIX",
        headline="Mix",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=9),
        launched_at=now,
    )
    radio = Placement.objects.create(
        offer=offer, channel="radio", outlet="KXYZ", starts_on=now.date(), ends_on=now.date(), cost=100
    )
    Placement.objects.create(
        offer=offer, channel="newspaper", outlet="Daily News", starts_on=now.date(), ends_on=now.date(), cost=300
    )
    post({"email": "radio@example.com", "offer_code": "mix", "utm_source": "kxyz"})
    assert Lead.objects.get().placement == radio
