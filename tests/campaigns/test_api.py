"""Campaigns and offers as marketing and the CSRs use them (CONTRACT "Campaigns and offers")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Offer, Redemption
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def offer_body(campaign, **changes):
    now = timezone.now()
    body = {
        "campaign": campaign.pk,
        "code": "spring25",
        "headline": "25% off a spring tune-up",
        "details": "Any furnace or AC tune-up.",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "deadline": (now + timedelta(days=14)).isoformat(),
        "quantity_limit": 3,
        "upsell_product": "Annual maintenance plan",
        "upsell_pitch": "Two visits a year for less than one repair.",
        "placements": [
            {
                "channel": "direct mail",
                "outlet": "Unclosed letter",
                "starts_on": str(now.date()),
                "ends_on": str((now + timedelta(days=14)).date()),
                "cost": "850.00",
            }
        ],
    }
    return body | changes


@pytest.fixture
def campaign():
    return Campaign.objects.create(name="Spring")


@pytest.fixture
def marketing(users, api_as):
    return api_as(users["marketing"])


def launched(marketing, campaign, **changes):
    offer = marketing.post("/api/v1/offers/", offer_body(campaign, **changes), format="json").json()
    assert marketing.post(f"/api/v1/offers/{offer['id']}/launch/").status_code == 200
    return offer


def test_marketing_creates_a_campaign_with_a_segment_and_an_offer_with_placements(marketing):
    campaign = marketing.post(
        "/api/v1/campaigns/",
        {"name": "Spring", "segment": {"industry_codes": ["238220"], "size_bands": ["10-49"], "score_min": 40}},
        format="json",
    )
    assert campaign.status_code == 201
    offer = marketing.post("/api/v1/offers/", offer_body(Campaign.objects.get()), format="json")
    assert offer.status_code == 201, offer.json()
    body = offer.json()
    assert (body["code"], body["status"], body["remaining"], body["redeemed"]) == ("SPRING25", "draft", 3, 0)
    assert body["placements"][0]["outlet"] == "Unclosed letter"


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"deadline": (timezone.now() - timedelta(days=5)).isoformat()}, "deadline"),
        ({"quantity_limit": -1}, "quantity_limit"),
        ({"quantity_limit": 0}, "quantity_limit"),
        (
            {
                "placements": [
                    {
                        "channel": "radio",
                        "outlet": "KXYZ",
                        "starts_on": "2026-12-10",
                        "ends_on": "2026-12-01",
                        "cost": "10",
                    }
                ]
            },
            "placements",
        ),
        (
            {
                "placements": [
                    {
                        "channel": "radio",
                        "outlet": "KXYZ",
                        "starts_on": "2026-12-01",
                        "ends_on": "2026-12-10",
                        "cost": "-10",
                    }
                ]
            },
            "placements",
        ),
        ({"code": ""}, "code"),
    ],
)
def test_bad_offers_get_field_errors_and_nothing_is_saved(marketing, campaign, changes, field):
    response = marketing.post("/api/v1/offers/", offer_body(campaign, **changes), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Offer.objects.exists()


def test_a_code_is_unique_in_any_case(marketing, campaign):
    assert marketing.post("/api/v1/offers/", offer_body(campaign), format="json").status_code == 201
    again = marketing.post("/api/v1/offers/", offer_body(campaign, code=" Spring25 "), format="json")
    assert again.status_code == 400 and "already used" in again.json()["code"][0]


def test_a_segment_with_unknown_filters_is_refused(marketing):
    response = marketing.post("/api/v1/campaigns/", {"name": "X", "segment": {"shoe_size": [9]}}, format="json")
    assert response.status_code == 400 and "segment" in response.json()


def test_launch_refuses_with_every_reason_at_once(marketing, campaign):
    offer = marketing.post(
        "/api/v1/offers/", offer_body(campaign, upsell_pitch="", placements=[]), format="json"
    ).json()
    response = marketing.post(f"/api/v1/offers/{offer['id']}/launch/")
    assert response.status_code == 400
    reasons = response.json()["launch"]
    assert any("upsell" in r for r in reasons) and any("placement" in r for r in reasons)
    assert Offer.objects.get().launched_at is None


def test_launch_puts_it_live_and_lookup_finds_it_in_any_case(marketing, campaign, users, api_as):
    launched(marketing, campaign)
    body = api_as(users["csr"]).get("/api/v1/offers/lookup/", {"code": "spring25"}).json()
    assert (body["status"], body["remaining"], body["upsell_product"]) == ("live", 3, "Annual maintenance plan")
    assert api_as(users["csr"]).get("/api/v1/offers/lookup/", {"code": "nope"}).status_code == 404


def test_an_expired_offer_says_what_replaces_it(marketing, campaign, users, api_as):
    old = launched(marketing, campaign, code="WINTER10")
    Offer.objects.filter(pk=old["id"]).update(
        deadline=timezone.now() - timedelta(hours=1), starts_at=timezone.now() - timedelta(days=30)
    )
    launched(marketing, campaign, code="SPRING25")
    body = api_as(users["csr"]).get("/api/v1/offers/lookup/", {"code": "winter10"}).json()
    assert body["status"] == "expired" and body["replaced_by"]["code"] == "SPRING25"


def test_redeem_once_per_lead_and_never_beyond_the_limit(marketing, campaign, users, api_as):
    offer = launched(marketing, campaign, quantity_limit=2)
    csr = api_as(users["csr"])
    leads = LeadFactory.create_batch(3)
    first = csr.post(f"/api/v1/offers/{offer['id']}/redeem/", {"lead": leads[0].pk}, format="json")
    assert first.status_code == 200 and first.json() == {"redeemed": 1, "remaining": 1}
    assert csr.post(f"/api/v1/offers/{offer['id']}/redeem/", {"lead": leads[0].pk}, format="json").status_code == 409
    assert csr.post(f"/api/v1/offers/{offer['id']}/redeem/", {"lead": leads[1].pk}, format="json").json() == {
        "redeemed": 2,
        "remaining": 0,
    }
    sold_out = csr.post(f"/api/v1/offers/{offer['id']}/redeem/", {"lead": leads[2].pk}, format="json")
    assert sold_out.status_code == 409
    assert Redemption.objects.count() == 2 and Offer.objects.get().redeemed == 2
    leads[0].refresh_from_db()
    assert leads[0].offer_id == offer["id"]  # attributed


def test_a_draft_offer_cannot_be_redeemed(marketing, campaign, users, api_as):
    offer = marketing.post("/api/v1/offers/", offer_body(campaign), format="json").json()
    response = api_as(users["csr"]).post(
        f"/api/v1/offers/{offer['id']}/redeem/", {"lead": LeadFactory().pk}, format="json"
    )
    assert response.status_code == 409 and not Redemption.objects.exists()


@pytest.mark.parametrize("role,expected", [("csr", 403), ("sales", 403), ("manager", 201), ("nobody", 403)])
def test_only_marketing_and_managers_change_offers(users, api_as, campaign, role, expected):
    assert api_as(users[role]).post("/api/v1/offers/", offer_body(campaign), format="json").status_code == expected


def test_placement_errors_come_back_on_their_fields_row_by_row(marketing, campaign):
    good = offer_body(campaign)["placements"][0]
    bad = [good, good | {"outlet": "KXYZ", "ends_on": "2020-01-01"}, good | {"outlet": "Web", "cost": "-1.00"}]
    response = marketing.post("/api/v1/offers/", offer_body(campaign, placements=bad), format="json")
    assert response.status_code == 400
    assert response.json() == {  # DRF's shape for a list: the rows in error, by index
        "placements": {
            "1": {"ends_on": ["The placement must end on or after the day it starts."]},
            "2": {"cost": ["The cost cannot be negative."]},
        }
    }
    missing = marketing.post("/api/v1/offers/", offer_body(campaign, placements=[good, {"outlet": "x"}]), format="json")
    assert missing.status_code == 400 and set(missing.json()["placements"]["1"]) == {
        "channel",
        "starts_on",
        "ends_on",
        "cost",
    }
    assert not Offer.objects.exists()


def test_saving_an_offers_placements_again_keeps_them_and_their_leads(marketing, campaign):
    from campaigns.models import Placement

    offer = marketing.post("/api/v1/offers/", offer_body(campaign), format="json").json()
    placement = Placement.objects.get()
    lead = LeadFactory(placement=placement)
    body = offer_body(campaign)
    body["placements"][0]["cost"] = "900.00"
    body["placements"].append(body["placements"][0] | {"channel": "radio", "outlet": "KXYZ"})
    assert marketing.put(f"/api/v1/offers/{offer['id']}/", body, format="json").status_code == 200
    lead.refresh_from_db()
    assert lead.placement_id == placement.pk and Placement.objects.get(pk=placement.pk).cost == 900
    assert Placement.objects.count() == 2


def test_campaign_names_are_unique_in_any_case(marketing, campaign):
    again = marketing.post("/api/v1/campaigns/", {"name": " SPRING "}, format="json")
    assert again.status_code == 400
    assert again.json() == {"name": ["Another campaign is already called “Spring”: choose another name."]}
    fall = marketing.post("/api/v1/campaigns/", {"name": "Fall"}, format="json").json()
    renamed = marketing.patch(f"/api/v1/campaigns/{fall['id']}/", {"name": "spring"}, format="json")
    assert renamed.status_code == 400 and "name" in renamed.json()
    assert marketing.patch(f"/api/v1/campaigns/{fall['id']}/", {"name": "FALL"}, format="json").status_code == 200
    assert sorted(Campaign.objects.values_list("name", flat=True)) == ["FALL", "Spring"]


def test_a_name_taken_by_an_archived_campaign_says_so(marketing, campaign):
    campaign.archived = True
    campaign.save()
    response = marketing.post("/api/v1/campaigns/", {"name": "spring"}, format="json")
    assert (
        response.status_code == 400 and "An archived campaign is already called “Spring”" in response.json()["name"][0]
    )


def test_a_campaign_is_archived_through_the_api_and_takes_no_new_offers(marketing, campaign):
    existing = marketing.post("/api/v1/offers/", offer_body(campaign), format="json").json()
    archived = marketing.patch(f"/api/v1/campaigns/{campaign.pk}/", {"archived": True}, format="json")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    other = Campaign.objects.create(name="Fall")
    assert [c["id"] for c in marketing.get("/api/v1/campaigns/", {"archived": "true"}).json()["results"]] == [
        campaign.pk
    ]
    assert [c["id"] for c in marketing.get("/api/v1/campaigns/", {"archived": "false"}).json()["results"]] == [other.pk]
    assert len(marketing.get("/api/v1/campaigns/").json()["results"]) == 2  # no filter: all, as before
    assert marketing.get("/api/v1/campaigns/", {"archived": "perhaps"}).status_code == 400

    refused = marketing.post("/api/v1/offers/", offer_body(campaign, code="NEW1"), format="json")
    assert refused.status_code == 400
    assert refused.json() == {"campaign": ["The campaign Spring is archived: it takes no new offers."]}
    moved = marketing.post("/api/v1/offers/", offer_body(other, code="NEW2"), format="json").json()
    into = marketing.patch(f"/api/v1/offers/{moved['id']}/", {"campaign": campaign.pk}, format="json")
    assert into.status_code == 400 and "campaign" in into.json()
    kept = marketing.patch(f"/api/v1/offers/{existing['id']}/", {"headline": "Still on"}, format="json")
    assert kept.status_code == 200 and kept.json()["headline"] == "Still on"
    launch = marketing.post(f"/api/v1/offers/{existing['id']}/launch/")
    assert launch.status_code == 400 and any("archived" in reason for reason in launch.json()["launch"])


def test_a_campaign_name_taken_in_a_race_is_a_field_error_not_a_500(campaign, monkeypatch):
    from django.core.exceptions import ValidationError

    from campaigns import services

    checks = iter([None])  # the first check misses the clash, as when another request wins the race
    real = services._refuse_a_taken_name
    monkeypatch.setattr(services, "_refuse_a_taken_name", lambda c: next(checks, None) or real(c))
    with pytest.raises(ValidationError) as refused:
        services.save_campaign(name="spring")
    assert refused.value.message_dict == {"name": ["Another campaign is already called “Spring”: choose another name."]}
    assert Campaign.objects.count() == 1
