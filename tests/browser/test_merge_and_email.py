"""Daily use in a real browser: a manager merges two records of one person from the duplicates
page; a CSR writes to a caller from the lead page, starting from a letter. Each page passes
axe-core's WCAG 2.1 AA rules and fits a phone (390 px)."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Company, Contact
from followups.models import LetterTemplate
from leads.models import Interaction, Lead
from outbox.models import Email
from tests.browser.steps import log_in
from tests.browser.test_accessibility import violations
from tests.factories import ContactFactory, lead_after, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CRM_SCREENSHOTS", "")  # a folder: the pages are saved there to look at


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def fits(page: Page) -> None:
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls {overflow}px sideways"


def ann_twice():
    """Ann Lee called from her desk (no e-mail) and later wrote from her own address (a phone too)."""
    harbor = Company.objects.create(name="Harbor Logistics", size_band="50-249")
    kept = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="", phone="+16175550100")
    merged = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann.lee@gmail.com", phone="")
    return lead_after("call_inbound", contact=kept), lead_after("form", contact=merged)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_merges_two_records_of_one_person(live_server, page: Page, width):
    make_user("boss", "manager")
    kept_lead, merged_lead = ann_twice()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "boss")

    page.get_by_role("link", name="Merge duplicate contacts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplicate contacts")
    group = page.get_by_test_id("duplicate-group")
    expect(group).to_have_count(1)
    expect(group.get_by_role("heading")).to_contain_text("Ann Lee at Harbor Logistics")
    assert violations(page) == []
    fits(page)
    shot(page, f"duplicates-{width}")

    group.get_by_role("radio", name=f"Keep #{kept_lead.contact_id} Ann Lee").check()
    group.get_by_role("radio", name=re.compile(f"Merge #{merged_lead.contact_id} Ann Lee")).check()
    group.get_by_role("button", name="Review the merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Merge #{merged_lead.contact_id} into #{kept_lead.contact_id} Ann Lee?"
    )
    expect(page.locator("[data-field=email] td").last).to_contain_text("ann.lee@gmail.com")
    expect(page.get_by_test_id("merge-leads")).to_contain_text(f"Lead #{merged_lead.pk}: Inquiry, score")
    assert violations(page) == []
    fits(page)
    shot(page, f"merge-review-{width}")

    page.get_by_role("button", name=f"Merge into #{kept_lead.contact_id}").click()
    expect(page).to_have_url(re.compile(r"/contacts/duplicates/\?by=name$"))
    expect(page.get_by_role("status")).to_contain_text(f"Merged #{merged_lead.contact_id} Ann Lee into")
    expect(page.get_by_test_id("no-duplicates")).to_be_visible()
    assert violations(page) == []

    page.goto(f"{live_server.url}/leads/{merged_lead.pk}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("Duplicate contacts merged")
    expect(page.locator(".reach")).to_contain_text("ann.lee@gmail.com")  # the kept record took her address
    assert Lead.objects.get(pk=merged_lead.pk).contact_id == kept_lead.contact_id
    assert not Contact.objects.filter(pk=merged_lead.contact_id).exists()
    shot(page, f"merged-lead-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_csr_writes_to_the_caller_from_the_lead_page(live_server, page: Page, width):
    make_user("desk", "csr")
    contact = ContactFactory(first_name="Grace", last_name="Kim", email="grace.kim@example.com", consent=True)
    lead = lead_after("call_inbound", contact=contact)
    LetterTemplate.objects.create(
        name="Thanks for calling",
        subject="{{ first_name }}, thanks for calling",
        body="Dear {{ first_name }},\n\nThanks for calling about your heat pump.\n\n{{ salesperson }}",
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    page.get_by_role("link", name="Write an e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail Grace Kim")
    assert violations(page) == []
    fits(page)
    page.get_by_label("Start from a letter").select_option(label="Thanks for calling")
    page.get_by_role("button", name="Use this letter").click()
    expect(page.get_by_label("Subject")).to_have_value("{{ first_name }}, thanks for calling")
    page.get_by_label("Your e-mail").fill(
        "Dear {{ first_name }},\n\nThanks for calling: a technician can come on Tuesday.\n\n{{ salesperson }}"
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("email-preview")
    expect(preview).to_contain_text("Grace, thanks for calling")
    expect(preview).to_contain_text("Dear Grace,")
    assert violations(page) == []
    fits(page)
    shot(page, f"lead-email-preview-{width}")

    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.get_by_role("status").first).to_contain_text("E-mail to grace.kim@example.com is in the outbox")
    entry = page.get_by_test_id("timeline").locator("li").first
    expect(entry).to_contain_text("E-mail sent by desk · waiting in the outbox")
    expect(entry).to_contain_text("Subject: Grace, thanks for calling")
    assert violations(page) == []
    shot(page, f"lead-after-email-{width}")
    email = Email.objects.get()
    assert email.to_address == "grace.kim@example.com" and "a technician can come on Tuesday" in email.text
    assert Interaction.objects.get(kind="email_sent").lead_id == lead.pk
