"""A manager exports a contact's data (a download) and erases the contact behind the confirmation
page, in a real browser; the confirmation page passes axe-core's WCAG 2.1 AA rules and fits a
phone."""

import json
import os
import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Contact, Erasure
from tests.browser.steps import log_in
from tests.browser.test_accessibility import violations
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CRM_SCREENSHOTS", "")  # a folder: the pages are saved there to look at


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def a_customer():
    contact = ContactFactory(
        first_name="Augusta",
        last_name="Byronique",
        email="augusta.byronique@example.org",
        phone="+15550199042",
        mailing_address="12 Analytical Row\nLondon NW1",
        company=CompanyFactory(name="Byronique Engines Ltd"),
    )
    return LeadFactory(contact=contact, stage="inquiry", inquiry_reason="The boiler in the attic is leaking")


def test_a_manager_exports_then_erases_a_contact(live_server, page: Page):
    make_user("boss", "manager")
    lead = a_customer()
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export data").click()
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert download.value.suggested_filename == f"contact-{lead.contact_id}-export.json"
    assert exported["contact"]["email"] == "augusta.byronique@example.org"
    assert [row["inquiry_reason"] for row in exported["leads"]] == ["The boiler in the attic is leaking"]

    page.get_by_role("link", name="Erase this contact…").click()
    expect(page.get_by_role("heading", name="Erase Augusta Byronique?")).to_be_visible()
    expect(page.get_by_text("1 open lead will be closed as dead")).to_be_visible()
    assert violations(page) == []
    shot(page, "confirm-desktop")

    page.get_by_role("button", name="Erase Augusta Byronique").click()  # not ticked: refused
    expect(page.get_by_text("Tick the box to confirm the erasure.")).to_be_visible()
    assert violations(page) == []
    assert Contact.objects.get(pk=lead.contact_id).erased_at is None

    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Erase Augusta Byronique").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.get_by_text(re.compile("The contact was erased"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erased contact")
    expect(page.get_by_test_id("contact-erased")).to_be_visible()
    expect(page.get_by_role("link", name="Erase this contact…")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Byronique" not in body and "augusta" not in body.lower() and "Analytical" not in body
    shot(page, "lead-after-desktop")
    assert Erasure.objects.filter(contact_id=lead.contact_id).count() == 1


def test_the_confirmation_fits_a_phone(live_server, page: Page):
    make_user("boss", "manager")
    lead = a_customer()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    shot(page, "lead-before-390")
    page.get_by_role("link", name="Erase this contact…").click()
    expect(page.get_by_role("heading", name="Erase Augusta Byronique?")).to_be_visible()
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the confirmation scrolls {overflow}px sideways at 390 px"
    shot(page, "confirm-390")
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Erase Augusta Byronique").click()
    expect(page.get_by_test_id("contact-erased")).to_be_visible()
    shot(page, "lead-after-390")
