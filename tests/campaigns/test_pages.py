"""Marketing's offer pages, the staff briefing and its e-mail, and the CSR's call console."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.briefing import send_staff_briefing
from campaigns.models import Campaign, Offer, Placement
from leads.models import Lead
from tests.factories import ContactFactory, LeadFactory, signed_in_client

pytestmark = pytest.mark.django_db


def live_offer(code="SPRING25", days_left=20, **fields):
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.get_or_create(name="Spring")[0],
        code=code,
        headline=f"{code} deal",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=days_left),
        quantity_limit=100,
        upsell_product="Maintenance plan",
        upsell_pitch="Two visits a year",
        launched_at=now,
        **fields,
    )
    Placement.objects.create(
        offer=offer,
        channel="radio",
        outlet="KXYZ",
        starts_on=now.date(),
        ends_on=(now + timedelta(days=days_left)).date(),
        cost=100,
    )
    return offer


def test_the_briefing_lists_live_offers_and_flags_the_ones_ending_soon(users):
    live_offer("SPRING25", days_left=20)
    live_offer("LASTCALL", days_left=3)
    html = signed_in_client(users["csr"]).get("/briefing/").content.decode()
    assert "SPRING25" in html and "Maintenance plan" in html and "KXYZ" in html
    assert 'class="card offer expiring" data-code="LASTCALL"' in html
    assert 'class="card offer" data-code="SPRING25"' in html


def test_the_weekly_briefing_goes_to_every_staff_member(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user in users.values():
        user.email = f"{user.username}@example.com"
        user.save()
    live_offer()
    assert send_staff_briefing() == 5  # the user without a role gets nothing
    from outbox.services import send_pending

    assert send_pending() == 5
    assert "SPRING25" in mail.outbox[0].body and len(mail.outbox[0].to) == 1


def test_marketing_saves_an_offer_with_placements_and_sees_why_it_cannot_launch(users):
    client = signed_in_client(users["marketing"])
    campaign = Campaign.objects.create(name="Fall")
    form = {
        "campaign": campaign.pk,
        "code": "fall10",
        "headline": "10% off",
        "details": "",
        "quantity_limit": "",
        "starts_at": "2026-12-01T09:00",
        "deadline": "2026-12-31T18:00",
        "upsell_product": "",
        "upsell_pitch": "",
        "placements-TOTAL_FORMS": "1",
        "placements-INITIAL_FORMS": "0",
        "placements-0-channel": "radio",
        "placements-0-outlet": "KXYZ",
        "placements-0-starts_on": "2026-12-01",
        "placements-0-ends_on": "2026-12-20",
        "placements-0-cost": "400",
    }
    response = client.post("/offers/new/", form)
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.code == "FALL10" and offer.placements.get().outlet == "KXYZ"
    page = client.get(f"/offers/{offer.pk}/").content.decode()
    assert "Every offer needs its intended upsell" in page
    refused = client.post(f"/offers/{offer.pk}/launch/", follow=True).content.decode()
    assert "Every offer needs its intended upsell" in refused and Offer.objects.get().launched_at is None


def test_offer_form_shows_field_errors(users):
    client = signed_in_client(users["marketing"])
    campaign = Campaign.objects.create(name="Fall")
    form = {
        "campaign": campaign.pk,
        "code": "BAD",
        "headline": "x",
        "quantity_limit": "-2",
        "starts_at": "2026-12-31T09:00",
        "deadline": "2026-12-01T18:00",
        "placements-TOTAL_FORMS": "0",
        "placements-INITIAL_FORMS": "0",
    }
    response = client.post("/offers/new/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The deadline must come after the start." in html
    assert not Offer.objects.exists()


def test_console_finds_a_caller_by_a_phone_typed_differently_and_an_offer_by_code(users):
    lead = LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone="+15550100042"))
    live_offer("SPRING25")
    client = signed_in_client(users["csr"])
    html = client.get("/console/search/", {"q": "(555) 010-0042"}).content.decode()
    assert "Dana Whitaker" in html and f"/console/caller/{lead.pk}/" in html
    offer_html = client.get("/console/search/", {"q": "spring25"}).content.decode()
    assert 'data-testid="offer-hit"' in offer_html and "live" in offer_html
    picked = client.get("/console/search/", {"q": "whit", "pick": "1"}).content.decode()
    assert 'hx-swap-oob="true"' in picked and "Log an interaction" in picked


def test_console_escapes_what_people_typed(users):
    LeadFactory(contact=ContactFactory(first_name="<script>alert(1)</script>", last_name="Zed"))
    html = signed_in_client(users["csr"]).get("/console/search/", {"q": "Zed"}).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_new_caller_is_created_once_and_the_call_logged(users):
    client = signed_in_client(users["csr"])
    body = {"first_name": "Nia", "last_name": "Obi", "phone": "555-010-7788", "note": "Furnace died"}
    first = client.post("/console/new-caller/", body, follow=True)
    assert first.status_code == 200 and "Call logged for Nia Obi" in first.content.decode()
    lead = Lead.objects.get()
    assert (lead.source, lead.inquiry_reason, lead.score) == ("phone", "Furnace died", 50)
    client.post("/console/new-caller/", body | {"phone": "(555) 010-7788"})
    assert Lead.objects.count() == 1 and lead.interactions.count() == 2


def test_a_new_caller_with_bad_input_gets_errors_and_nothing_is_written(users):
    response = signed_in_client(users["csr"]).post("/console/new-caller/", {"first_name": "X", "phone": "12"})
    assert "Enter a valid phone number." in response.content.decode()
    assert not Lead.objects.exists()
