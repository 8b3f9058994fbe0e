"""The CSR's call in a real browser: find the caller, open the lead, log the call, see the score.

Runs headless Chromium (pytest-playwright's `page`) against pytest-django's `live_server`; the
roles, the published rules and plain-HTTP cookies come from tests/browser/conftest.py.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.kinds import InteractionKind
from leads.models import Interaction
from tests.factories import DEMO_PASSWORD, ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_csr_finds_the_caller_logs_the_call_and_sees_the_score_move(live_server, page: Page):
    make_user("csr_on_duty", "csr")
    caller = LeadFactory(
        contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone="+15550000001"),
        inquiry_reason="Saw the spring tune-up letter; the furnace is 20 years old.",
        desired_outcome="A quiet, efficient system before winter.",
    )
    LeadFactory(contact=ContactFactory(first_name="Luis", last_name="Ortega", phone="+15557770002"))

    # Logs in: the lead list asks for a login first and comes back after it.
    page.goto(f"{live_server.url}/leads/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/leads/$"))
    page.get_by_label("Username").fill("csr_on_duty")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/leads/$"))
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"

    # The search box has the focus: the CSR types the number as the caller says it.
    search = page.get_by_role("searchbox", name="Search leads")
    expect(search).to_be_focused()
    page.keyboard.type("(555) 000-0001")
    rows = page.locator("#lead-rows")
    expect(rows).to_contain_text("1 lead matching")
    expect(rows).to_contain_text("Dana Whitaker")
    expect(rows).not_to_contain_text("Luis Ortega")
    expect(page).to_have_url(re.compile(r"[?&]q=(\(|%28)555"))  # the search is in the address bar

    # Opens the lead: why they inquired and what they want come first.
    rows.get_by_role("link", name="Dana Whitaker").click()
    expect(page).to_have_url(re.compile(rf"/leads/{caller.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dana Whitaker")
    about = page.get_by_role("region", name="About this lead")
    expect(about.get_by_text("Saw the spring tune-up letter")).to_be_visible()
    expect(page.get_by_label("Why they inquired")).to_have_value(re.compile("^Saw the spring tune-up letter"))
    score = page.get_by_test_id("score")
    temperature = page.get_by_test_id("temperature")
    expect(score).to_have_text("0")
    expect(temperature).to_have_text("Cold")

    # Logs the inbound call with a note and the answer to a scripted question, without a reload.
    page.evaluate("window.__no_reload_marker = 1")
    expect(page.get_by_label("Kind")).to_have_value(InteractionKind.CALL_INBOUND)
    page.get_by_label("Note").fill("Wants a quote before the cold weather.")
    page.get_by_label("When are you planning to buy?").select_option("this_month")
    page.get_by_role("button", name="Log it").click()

    # Inbound call +50 and "within a month" +20 under the default rules: 70 is hot.
    expect(score).to_have_text("70")
    expect(temperature).to_have_text("Hot")
    expect(page.get_by_role("status")).to_contain_text("Inbound call logged. Score 0 → 70.")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li.interaction").first).to_contain_text("Inbound call by csr_on_duty")
    expect(timeline).to_contain_text("Wants a quote before the cold weather.")
    expect(timeline).to_contain_text("When are you planning to buy?")
    expect(timeline).to_contain_text("Within a month")
    assert page.evaluate("window.__no_reload_marker") == 1, "the page reloaded"
    expect(page).to_have_url(re.compile(rf"/leads/{caller.pk}/$"))
    expect(page.get_by_label("Note")).to_have_value("")  # a fresh form for the next call

    interaction = Interaction.objects.get(lead=caller)
    assert interaction.kind == InteractionKind.CALL_INBOUND
    assert interaction.answers == [{"question": "timeline", "answer": "this_month"}]
