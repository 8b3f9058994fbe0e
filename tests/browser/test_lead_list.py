"""The lead list and lead editing in a real browser: search by a phone's last digits, sort by
clicking headers, filters kept in the URL, the CSV export, a manager's bulk hand-over, and
correcting a lead and its contact."""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead
from tests.browser.steps import log_in
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    hot_lead,
    lead_after,
    make_user,
    sales_ready_lead,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FACTS = {"inquiry_reason": "Furnace is 20 years old", "desired_outcome": "Lower heating bills"}


def rows(page: Page):
    return page.locator("table.lead-list tbody tr")


def open_the_list(page: Page, live_server, username: str) -> None:
    """Log in, open the list and wait until its scripts run, so typing is heard."""
    log_in(page, live_server, username)
    page.goto(f"{live_server.url}/leads/")
    page.wait_for_load_state("load")


def test_a_manager_finds_sorts_filters_and_hands_over_from_the_list(live_server, page: Page):
    make_user("boss", "manager")
    make_user("rep", "sales")
    sales_ready_lead(
        {"timeline": "this_month"},  # 80
        contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone="+15550100042"),
        **FACTS,
    )
    sales_ready_lead(
        contact=ContactFactory(first_name="Ben", last_name="Adams", company=CompanyFactory(name="Harbor Logistics")),
        **FACTS,
    )  # 60
    lead_after({"timeline": "this_month"}, contact=ContactFactory(first_name="Cy", last_name="Carter"))  # 20

    open_the_list(page, live_server, "boss")
    page.get_by_label("Search leads").fill("0042")
    expect(page.get_by_test_id("lead-count")).to_have_text("1 lead matching “0042”")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Dana Whitaker")
    page.get_by_label("Search leads").fill("harbor")
    expect(rows(page).first).to_contain_text("Ben Adams")
    page.get_by_label("Search leads").fill("")
    expect(rows(page)).to_have_count(3)

    page.get_by_role("link", name="Lead", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).first).to_contain_text("Ben Adams")
    page.get_by_role("link", name="Lead", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(rows(page).first).to_contain_text("Dana Whitaker")

    page.get_by_label("Stage").select_option("sales_ready")
    expect(rows(page)).to_have_count(2)
    expect(page).to_have_url(re.compile(r"stage=sales_ready.*sort=-name|sort=-name.*stage=sales_ready"))
    page.reload()  # a bookmark of this view opens the same view
    expect(rows(page)).to_have_count(2)
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")

    page.get_by_label("Stage").select_option("")
    expect(rows(page)).to_have_count(3)
    page.get_by_label("Tick Dana Whitaker").check()
    page.get_by_label("Tick Cy Carter").check()
    page.get_by_label("Hand the ticked sales-ready leads to").select_option(label="rep")
    page.get_by_role("button", name="Hand over").click()

    expect(page.get_by_text("Handed 1 lead to rep, who has been notified.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Not handed over: Cy Carter: Not sales-ready yet"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    assert Lead.objects.get(contact__first_name="Dana").owner.username == "rep"
    assert Lead.objects.get(contact__first_name="Cy").owner is None


def test_tick_every_row_ticks_the_whole_page(live_server, page: Page):
    make_user("boss", "manager")
    LeadFactory.create_batch(3)

    open_the_list(page, live_server, "boss")
    page.get_by_label("Tick every lead on this page").check()

    expect(page.locator('input[name="lead"]:checked')).to_have_count(3)


def test_marketing_exports_the_filtered_list_as_csv(live_server, page: Page):
    make_user("marketer", "marketing")
    LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Ortega"), stage="inquiry")
    LeadFactory(contact=ContactFactory(first_name="Luis", last_name="Smith"), stage="inquiry")

    open_the_list(page, live_server, "marketer")
    page.get_by_label("Search leads").fill("ortega")
    expect(page.get_by_test_id("lead-count")).to_contain_text("1 lead")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these leads (CSV)").click()

    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("id,first_name,last_name,email,phone")
    assert "Dana" in text and "Luis" not in text


def test_the_list_scrolls_inside_its_box_on_a_phone(live_server, page: Page):
    make_user("boss", "manager")
    for name in ("Whitaker", "Johansson", "Fischer"):
        contact = ContactFactory(
            last_name=name,
            email=f"{name.lower()}.accounts-payable@northside-plumbing.example.com",
            company=CompanyFactory(name="Northside Plumbing & Heating"),
        )
        LeadFactory(contact=contact, source="list", estimated_value=12500)
    page.set_viewport_size({"width": 390, "height": 844})

    open_the_list(page, live_server, "boss")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    region = page.get_by_role("region", name=re.compile(r"^Leads"))
    assert region.evaluate("box => box.scrollWidth > box.clientWidth")


def test_a_csr_corrects_a_lead_and_its_contact(live_server, page: Page):
    make_user("agent", "csr")
    ContactFactory(first_name="Someone", last_name="Else", phone="+15550100099")
    lead = hot_lead(  # 70: an inquiry until the result they want is recorded
        contact=ContactFactory(first_name="Grace", last_name="Kim", phone="+15550100004"),
        inquiry_reason="Saw the spring letter",
    )

    open_the_list(page, live_server, "agent")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/edit/$"))

    page.get_by_label("Phone").fill("(555) 010-0099")
    page.get_by_label("What result they want").fill("Lower heating bills")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#id_phone_error")).to_have_text("Another contact already has this phone number.")
    expect(page.get_by_label("Phone")).to_be_focused()
    expect(page.get_by_label("Phone")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Phone").fill("555 010 0077")
    page.get_by_label("Job title").fill("Homeowner")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.get_by_text("Saved. It now meets the rules of engagement: the lead is sales-ready.")).to_be_visible()
    expect(page.get_by_test_id("stage")).to_have_text("Sales-ready")
    # Stored as +15550100077, shown as people write it, dialling the stored number.
    phone = page.locator(".lead-head").get_by_role("link", name="(555) 010-0077")
    expect(phone).to_have_attribute("href", "tel:+15550100077")
    lead.refresh_from_db()
    assert (lead.stage, lead.desired_outcome, lead.contact.title) == ("sales_ready", "Lower heating bills", "Homeowner")
