"""Campaigns and the offer editor in a real browser: marketing edits a saved offer (its campaign is
there), adds placements with the button, types a channel of its own, sees a placement's error
beside its field, removes a placement; renames, archives and restores a campaign."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, Offer, Placement
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder: the journey saves what it saw there


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def spring_offer():
    now = timezone.now()
    campaign = Campaign.objects.create(name="Spring tune-up")
    Campaign.objects.create(name="Fall")  # created later: listed first, so never selected by accident
    offer = Offer.objects.create(
        campaign=campaign,
        code="SPRING25",
        headline="25% off a spring tune-up",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=20),
        upsell_product="Maintenance plan",
        upsell_pitch="Two visits a year",
    )
    Placement.objects.create(
        offer=offer, channel="radio", outlet="KXYZ", starts_on=now.date(), ends_on=now.date(), cost=300
    )
    return offer


def test_marketing_edits_an_offer_adds_placements_and_sees_their_errors(live_server, page: Page, spring_offer):
    make_user("marketer", "marketing")
    log_in(page, live_server, "marketer")
    open_from_marketing_menu(page, "Campaigns")
    page.get_by_role("link", name="SPRING25").click()
    expect(page.get_by_label("Campaign")).to_have_value(str(spring_offer.campaign_id))
    expect(page.get_by_text("The saved placements cost $300.00 in all.")).to_be_visible()

    rows = page.locator("tr.placement-row:visible")
    expect(rows).to_have_count(2)  # the saved one and an empty one
    page.get_by_role("button", name="Add a placement").click()
    page.get_by_role("button", name="Add a placement").click()
    expect(rows).to_have_count(4)
    expect(rows.nth(3).get_by_label("Channel", exact=True)).to_be_focused()

    today = timezone.localdate()
    truck = rows.nth(2)
    expect(truck.get_by_label("Other channel")).to_be_hidden()
    truck.get_by_label("Channel", exact=True).select_option("other")
    expect(truck.get_by_label("Other channel")).to_be_focused()
    page.keyboard.type("Truck wrap")
    truck.get_by_label("Outlet").fill("Van 3")
    truck.get_by_label("From").fill(str(today))
    truck.get_by_label("To").fill(str(today + timedelta(days=5)))
    truck.get_by_label("Cost").fill("-5")
    rows.nth(3).get_by_role("button", name="Remove").click()  # added one too many
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Save offer").click()

    expect(page.get_by_text("Not saved: please correct the errors below.")).to_be_visible()
    expect(rows).to_have_count(3)  # the removed row stays removed
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    truck = page.locator("tr.placement-row", has=page.locator('input[value="Van 3"]'))
    expect(truck.get_by_text("The cost cannot be negative.")).to_be_visible()
    expect(truck.get_by_label("Cost")).to_have_attribute("aria-invalid", "true")
    expect(truck.get_by_label("Other channel")).to_have_value("Truck wrap")
    shot(page, "offer-placement-error")
    truck.get_by_label("Cost").fill("120")
    page.get_by_role("button", name="Save offer").click()
    expect(page.get_by_text("Offer SPRING25 saved.")).to_be_visible()
    assert sorted(spring_offer.placements.values_list("channel", "cost")) == [("Truck wrap", 120), ("radio", 300)]
    expect(page.get_by_text("The saved placements cost $420.00 in all.")).to_be_visible()

    page.locator("tr.placement-row", has=page.locator('input[value="KXYZ"]')).get_by_label("Remove").check()
    page.get_by_role("button", name="Save offer").click()
    expect(page.get_by_text("Offer SPRING25 saved.")).to_be_visible()
    assert list(spring_offer.placements.values_list("outlet", flat=True)) == ["Van 3"]
    shot(page, "offer-saved")


def test_marketing_renames_archives_and_restores_a_campaign(live_server, page: Page, spring_offer):
    make_user("marketer", "marketing")
    log_in(page, live_server, "marketer")
    open_from_marketing_menu(page, "Campaigns")
    page.get_by_role("link", name="Edit Spring tune-up").click()
    page.get_by_label("Name").fill("fall")
    page.get_by_role("button", name="Save the campaign").click()
    expect(page.get_by_text("Another campaign is already called “Fall”: choose another name.")).to_be_visible()
    page.get_by_label("Name").fill("Spring tune-up 2027")
    page.get_by_role("button", name="Save the campaign").click()
    expect(page.get_by_text("Campaign “Spring tune-up 2027” saved.")).to_be_visible()

    page.get_by_role("link", name="Edit Spring tune-up 2027").click()
    page.get_by_role("button", name="Archive Spring tune-up 2027").click()
    expect(page.get_by_text("Campaign “Spring tune-up 2027” archived")).to_be_visible()
    expect(page.locator("[data-campaign='Spring tune-up 2027']")).to_have_count(0)
    page.get_by_role("link", name="Show the archived campaigns (1)").click()
    archived = page.locator("[data-campaign='Spring tune-up 2027']")
    expect(archived).to_contain_text("Archived")
    expect(archived.get_by_role("link", name="New offer in Spring tune-up 2027")).to_have_count(0)
    shot(page, "campaigns-with-archived")

    page.goto(f"{live_server.url}/offers/new/")
    options = page.get_by_label("Campaign").locator("option")
    expect(options).to_have_text(["---------", "Fall"])

    page.goto(f"{live_server.url}/campaigns/?archived=1")
    page.get_by_role("button", name="Restore Spring tune-up 2027").click()
    expect(page.get_by_text("Campaign “Spring tune-up 2027” restored")).to_be_visible()
    expect(page.get_by_role("link", name="New offer in Spring tune-up 2027")).to_be_visible()
