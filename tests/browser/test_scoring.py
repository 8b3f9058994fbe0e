"""Scoring in a real browser: a CSR's answer moves the score at once; marketing tunes and publishes."""

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.models import Job
from leads.services import log_interaction
from scoring import services
from scoring.models import RuleSet
from tests.browser.steps import log_in, open_from_marketing_menu
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
    open_from_marketing_menu(page, "Scoring")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scoring rules")
    expect(page.get_by_role("button", name="Publish version 2")).to_be_disabled()  # nothing changed yet

    page.get_by_label("Called us with an inquiry points").fill("75")
    page.get_by_label("Called us with an inquiry cap").fill("75")
    page.get_by_label("Why this change").fill("Calls close more often than we thought")
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.get_by_role("button", name="Preview these numbers").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Previewed the saved draft, version 2")
    expect(preview).to_contain_text("3 leads scored")
    expect(preview).to_contain_text("3 from warm to hot")
    expect(preview.locator("svg rect.after")).to_have_count(10)
    expect(preview.get_by_test_id("movers").locator("tbody tr")).to_have_count(3)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Publish version 2")).click()
    expect(page.get_by_text("Rules version 2 published; rescoring every lead.")).to_be_visible()
    expect(page.locator(".lede")).to_contain_text("Published: version 2")
    expect(page.locator("#job")).to_contain_text("Rescore for version 2")
    expect(page.get_by_test_id("job")).to_be_in_viewport()  # where the user looks after Publish
    expect(page.get_by_role("button", name="Publish version 3")).to_be_disabled()
    expect(page.locator("#job .job")).to_have_count(1)  # no page nested inside the card
    assert RuleSet.objects.get(status="published").version == 2
    assert Job.objects.get().total == 3


def test_preview_uses_unsaved_edits_and_says_so(live_server, page: Page):
    make_user("marketer_preview", "marketing")
    lead = LeadFactory(contact=ContactFactory(first_name="Ada", last_name="Byrne"))
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    log_in(page, live_server, "marketer_preview")
    page.goto(f"{live_server.url}/scoring/")
    page.get_by_label("Called us with an inquiry points").fill("30")
    page.get_by_label("Called us with an inquiry cap").fill("30")
    page.get_by_role("button", name="Preview these numbers").click()
    preview = page.locator("#preview")
    expect(preview.get_by_test_id("previewed")).to_contain_text("with 2 edits not saved yet")
    expect(preview).to_contain_text("Called us with an inquiry: points +50 → +30")
    mover = preview.get_by_test_id("movers").get_by_role("link", name="Ada Byrne")
    expect(mover).to_have_attribute("href", f"/leads/{lead.pk}/")
    expect(preview.get_by_test_id("movers")).to_contain_text("50 → 30")
    assert not RuleSet.objects.filter(status="draft").exists()  # nothing saved

    page.get_by_label("Called us with an inquiry points").fill("500")
    page.get_by_role("button", name="Preview these numbers").click()
    expect(preview.get_by_test_id("preview-errors")).to_contain_text("Called us with an inquiry points")
    expect(page.locator("#rule-editor .num-input.invalid .error").first).to_have_text("Must be between -100 and 100.")


def test_a_json_mistake_opens_the_json_editor_with_the_error(live_server, page: Page):
    make_user("marketer_json", "marketing")
    log_in(page, live_server, "marketer_json")
    page.goto(f"{live_server.url}/scoring/")
    page.locator("#json-editor summary").click()
    page.get_by_label("Draft rules as JSON").fill('{"rules": [}')
    page.locator("#json-editor").get_by_role("button", name="Save draft").click()
    expect(page.locator(".errors[role=alert]").first).to_contain_text("Nothing was saved: the JSON has 1 problem")
    expect(page.locator("#json-editor")).to_have_attribute("open", "")
    expect(page.locator("#json-errors")).to_contain_text("Not valid JSON")
    expect(page.get_by_label("Draft rules as JSON")).to_be_visible()


def test_marketing_compares_versions_and_restores_an_old_one(live_server, page: Page):
    marketer = make_user("marketer_history", "marketing")
    draft = services.current_draft(by=marketer)
    definition = {**draft.definition, "thresholds": {"hot": 65, "warm": 40, "sales_ready": 60}}
    services.save_draft(definition=definition, note="hot from 65", by=marketer)
    services.publish_draft(by=marketer)
    log_in(page, live_server, "marketer_history")
    page.goto(f"{live_server.url}/scoring/")
    page.get_by_role("link", name=re.compile("History")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scoring rules history")
    versions = page.get_by_test_id("versions")
    expect(versions).to_contain_text("hot from 65")
    expect(versions).to_contain_text("marketer_history")
    expect(page.get_by_test_id("diff")).to_contain_text("Hot from 70 → 65")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore v1").click()
    expect(page.get_by_text("Version 1's rules published again as version 3")).to_be_visible()
    expect(page.locator(".lede")).to_contain_text("Published: version 3")
    restored = RuleSet.objects.get(status="published")
    assert (restored.version, restored.restored_from) == (3, 1)
