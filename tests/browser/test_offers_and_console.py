"""Offers and the call console in a real browser: marketing launches an offer; a CSR finds the
caller by a phone typed differently, looks up the letter's code, logs the call and sees the score move."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, Offer, Placement
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.factories import ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_launches_an_offer_and_it_reaches_the_briefing(live_server, page: Page):
    make_user("marketer", "marketing")
    Campaign.objects.create(name="Spring tune-up")
    log_in(page, live_server, "marketer")
    open_from_marketing_menu(page, "Campaigns")
    page.get_by_role("link", name="New offer in Spring tune-up").click()

    today = timezone.localdate()
    page.get_by_label("Code", exact=True).fill("spring25")
    page.get_by_label("Headline").fill("25% off a spring tune-up")
    page.get_by_label("Starts at").fill(f"{today - timedelta(days=1)}T08:00")
    page.get_by_label("Deadline").fill(f"{today + timedelta(days=20)}T18:00")
    page.get_by_label("Quantity limit").fill("200")
    page.get_by_label("Upsell product").fill("Annual maintenance plan")
    page.get_by_label("Upsell pitch").fill("Two visits a year for less than one repair.")
    page.locator("[name=placements-0-channel]").select_option("direct mail")
    page.locator("[name=placements-0-outlet]").fill("Unclosed-prospect letter")
    page.locator("[name=placements-0-starts_on]").fill(str(today))
    page.locator("[name=placements-0-ends_on]").fill(str(today + timedelta(days=20)))
    page.locator("[name=placements-0-cost]").fill("850")
    page.get_by_role("button", name="Save offer").click()
    expect(page.get_by_text("Offer SPRING25 saved.")).to_be_visible()
    expect(page.get_by_text("Everything a launch needs is there.")).to_be_visible()

    page.get_by_role("button", name="Launch SPRING25").click()
    expect(page.get_by_text("SPRING25 is live")).to_be_visible()
    assert Offer.objects.get().status == "live"
    page.get_by_role("link", name="Briefing").click()
    expect(page.locator("[data-code=SPRING25]")).to_contain_text("Annual maintenance plan")


def test_csr_finds_the_caller_looks_up_the_letter_code_and_logs_the_call(live_server, page: Page):
    make_user("csr_console", "csr")
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Spring"),
        code="SPRING25",
        headline="25% off a tune-up",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=10),
        quantity_limit=50,
        upsell_product="Maintenance plan",
        upsell_pitch="Two visits a year",
        launched_at=now,
    )
    Placement.objects.create(
        offer=offer, channel="mail", outlet="Letter", starts_on=now.date(), ends_on=now.date(), cost=1
    )
    caller = LeadFactory(
        contact=ContactFactory(first_name="Omar", last_name="Haddad", phone="+15550100077"),
        inquiry_reason="Got the spring letter",
    )
    log_in(page, live_server, "csr_console")
    page.get_by_role("link", name="Call console").click()

    search = page.get_by_label("Phone, name, e-mail or code")
    expect(search).to_be_focused()
    page.keyboard.type("555.010.0077")
    expect(page.locator("#results")).to_contain_text("Omar Haddad")
    page.keyboard.press("Enter")  # picks the first caller
    expect(page.get_by_test_id("caller-name")).to_contain_text("Omar Haddad")
    expect(page.get_by_test_id("score")).to_have_text("0")

    search.fill("spring25")
    expect(page.get_by_test_id("offer-hit")).to_contain_text("live")
    expect(page.get_by_test_id("offer-hit")).to_contain_text("50 left")

    panel = page.locator("#caller")
    panel.get_by_label("Kind").select_option("call_inbound")
    panel.get_by_label("Offer or letter code").fill("spring25")
    panel.get_by_label("When are you planning to buy?").select_option("this_month")
    panel.get_by_role("button", name="Log it").click()
    expect(page.get_by_test_id("score")).to_have_text("70")
    expect(page.get_by_test_id("temperature")).to_have_text("Hot")
    caller.refresh_from_db()
    assert caller.offer == offer and caller.score == 70
