"""Scoring in a real browser: a CSR's answer moves the score at once; marketing tunes and publishes."""

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.models import Job
from leads.services import log_interaction
from scoring.models import RuleSet
from tests.browser.steps import log_in
from tests.factories import ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answering_a_scripted_question_updates_score_and_temperature_without_reload(live_server, page: Page):
    make_user("csr_answers", "csr")
    lead = LeadFactory(contact=ContactFactory(first_name="Grace", last_name="Kim"))
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # 50: warm
    log_in(page, live_server, "csr_answers")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_test_id("score")).to_have_text("50")
    expect(page.get_by_test_id("temperature")).to_have_text("Warm")

    page.evaluate("window.__no_reload_marker = 1")
    page.get_by_label("Kind").select_option("answers")
    page.get_by_label("Is there a budget set aside?").select_option("approved")
    page.get_by_label("Are you the one who makes the decision?").select_option("yes")
    page.get_by_role("button", name="Log it").click()

    # +15 for an approved budget, +10 for the decision maker: 75 is hot.
    expect(page.get_by_test_id("score")).to_have_text("75")
    expect(page.get_by_test_id("temperature")).to_have_text("Hot")
    expect(page.locator("#score-panel")).to_contain_text("Is there a budget set aside? Yes, approved")
    assert page.evaluate("window.__no_reload_marker") == 1, "the page reloaded"


def test_marketing_tunes_a_rule_previews_the_picture_and_publishes(live_server, page: Page):
    make_user("marketer", "marketing")
    for _ in range(3):
        lead = LeadFactory()
        log_interaction(lead_id=lead.pk, kind="call_inbound")
    log_in(page, live_server, "marketer")
    page.get_by_role("link", name="Scoring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scoring rules")

    page.get_by_label("Called us with an inquiry points").fill("75")
    page.get_by_label("Called us with an inquiry cap").fill("75")
    page.get_by_label("Why this change").fill("Calls close more often than we thought")
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.get_by_role("button", name="Preview the draft").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("3 leads scored")
    expect(preview).to_contain_text("3 from warm to hot")
    expect(preview.locator("svg rect.after")).to_have_count(10)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Publish version 2")).click()
    expect(page.locator("#job")).to_contain_text("Rescore for version 2")
    assert RuleSet.objects.get(status="published").version == 2
    assert Job.objects.get().total == 3
