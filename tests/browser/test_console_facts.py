"""The call that qualifies a caller makes them sales-ready without leaving the console (issue 17,
defect 3): the CSR records the answers, why they called and the result they want in the one
log form, and the header, the score panel and the results follow at once."""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.kinds import Stage
from leads.models import Lead
from tests.browser.steps import log_in
from tests.factories import ContactFactory, lead_after, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_csr_records_what_the_caller_wants_and_the_lead_turns_sales_ready_in_the_console(live_server, page: Page):
    make_user("csr_facts", "csr")
    lead = lead_after(  # an earlier call: 50, warm, and nobody wrote down why or what they want
        "call_inbound", contact=ContactFactory(first_name="Omar", last_name="Haddad", phone="+15550100077")
    )
    log_in(page, live_server, "csr_facts")
    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_label("Phone, name, e-mail or code")).to_be_focused()
    page.keyboard.type("Haddad")
    page.keyboard.press("Enter")
    caller = page.locator("#caller")
    expect(page.get_by_test_id("stage")).to_have_text("Inquiry")
    expect(caller.get_by_test_id("readiness")).to_have_text(
        "Not sales-ready yet: needs a score of at least 60 (now 50), why they inquired, the result they want."
    )
    expect(caller.get_by_label("Why they inquired")).to_have_value("")

    page.evaluate("window.__no_reload_marker = 1")
    caller.get_by_label("Kind").select_option("call_inbound")
    caller.get_by_label("When are you planning to buy?").select_option("this_month")
    caller.get_by_label("Why they inquired").fill("The furnace at the practice stopped this morning.")
    caller.get_by_label("What result they want").fill("Heat back before the patients arrive.")
    caller.get_by_role("button", name="Log it").click()

    expect(page.get_by_test_id("logged")).to_have_text(
        "Inbound call logged. Score 50 → 70. The lead is sales-ready now."
    )
    expect(page.get_by_test_id("stage")).to_have_text("Sales-ready")
    expect(caller.get_by_test_id("readiness")).to_have_text("Sales-ready: in the pool for sales.")
    expect(page.locator("#lead-desired-outcome")).to_have_text("Heat back before the patients arrive.")
    expect(page.locator("#lead-inquiry-reason")).to_have_text("The furnace at the practice stopped this morning.")
    expect(page.locator("#results")).to_contain_text("Sales-ready")
    expect(caller.get_by_label("What result they want")).to_have_value("Heat back before the patients arrive.")
    assert page.evaluate("window.__no_reload_marker") == 1, "the console reloaded"
    expect(page).to_have_url(re.compile(r"/console/"))

    lead.refresh_from_db()
    assert lead.stage == Stage.SALES_READY and lead.score == 70
    assert lead.inquiry_reason == "The furnace at the practice stopped this morning."
    assert lead.desired_outcome == "Heat back before the patients arrive."
    assert Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).count() == 1
