"""A CSR's first hour in the console, in a real browser: a call that promotes the caller shows
it at once, a new caller is created from what was searched (once, however often the button is
clicked), and an offer is redeemed with the live offers' "left" moving beside it."""

import pytest
from playwright.sync_api import Page, expect

from campaigns.models import Offer
from leads.models import Interaction, Lead
from tests.browser.steps import log_in
from tests.factories import ContactFactory, LeadFactory, lead_after, live_offer, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_promoting_call_shows_the_new_stage_in_the_header_and_the_results(live_server, page: Page):
    make_user("csr_day", "csr")
    lead_after(
        "call_inbound",  # 50: warm, an inquiry until the answer below adds 10
        contact=ContactFactory(first_name="Omar", last_name="Haddad", phone="+15550100077"),
        inquiry_reason="Furnace died",
        desired_outcome="Heat by Friday",
    )
    log_in(page, live_server, "csr_day")
    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_label("Phone, name, e-mail or code")).to_be_focused()
    page.keyboard.type("Haddad")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stage")).to_have_text("Inquiry")
    expect(page.locator("#caller")).to_contain_text("Heat by Friday")
    page.locator("#caller").get_by_label("When are you planning to buy?").select_option("this_quarter")
    page.locator("#caller").get_by_role("button", name="Log it").click()
    expect(page.get_by_test_id("logged")).to_be_visible()
    expect(page.get_by_test_id("stage")).to_have_text("Sales-ready")
    expect(page.locator("#results")).to_contain_text("Sales-ready")


def test_a_new_caller_comes_from_the_search_and_is_created_once(live_server, page: Page):
    make_user("csr_new", "csr")
    log_in(page, live_server, "csr_new")
    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_label("Phone, name, e-mail or code")).to_be_focused()
    page.keyboard.type("555 010 4242")
    page.get_by_test_id("new-caller-from-search").click()
    form = page.locator("#new-caller-box")
    expect(form.get_by_label("Phone")).to_have_value("555 010 4242")
    form.get_by_role("button", name="Create and log the call").click()  # no name: still fine, a phone is enough
    expect(page.get_by_test_id("logged")).to_contain_text("Call logged for")
    expect(page.locator("#new-caller-box")).not_to_have_attribute("open", "")
    expect(page.locator("#new-caller-box").get_by_label("Phone")).to_have_value("")
    assert Lead.objects.count() == 1 and Interaction.objects.count() == 1

    # An empty form: the errors show inside it, and there is one form on the page.
    page.locator("#new-caller-box summary").click()
    page.locator("#new-caller-box").get_by_role("button", name="Create and log the call").click()
    expect(page.locator("#new-caller-box")).to_contain_text("Give an email address or a phone number.")
    expect(page.locator("form[action='/console/new-caller/']")).to_have_count(1)
    assert Lead.objects.count() == 1


def test_a_csr_redeems_an_offer_and_sees_what_is_left(live_server, page: Page):
    make_user("csr_offer", "csr")
    live_offer(quantity_limit=50, placement=False)
    LeadFactory(contact=ContactFactory(first_name="Ana", last_name="Ortega", phone="+15550100099"))
    log_in(page, live_server, "csr_offer")
    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_label("Phone, name, e-mail or code")).to_be_focused()
    expect(page.locator("#console-offers")).to_contain_text("50 left")
    page.keyboard.type("Ortega")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("caller-name")).to_contain_text("Ana Ortega")
    page.locator("#caller").get_by_role("button", name="Redeem").click()
    expect(page.get_by_test_id("redeemed")).to_be_visible()
    expect(page.get_by_test_id("redemptions")).to_contain_text("SPRING25")
    expect(page.locator("#console-offers")).to_contain_text("49 left")
    assert Offer.objects.get().redeemed == 1
