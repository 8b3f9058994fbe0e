"""Follow-ups and letters in a real browser: a salesperson completes the after-sale call with a
referral and opens the new lead; marketing sends a small batch of letters and watches a real
Celery worker take it to done."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from followups.defaults import LETTER, SCRIPTS
from followups.models import FollowUp, FollowUpScript, Letter, LetterTemplate
from leads.kinds import Stage
from leads.models import Lead
from sales import services as sales
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.factories import ContactFactory, closed_lead, make_user, sales_ready_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shipped_defaults():
    for script in SCRIPTS:
        FollowUpScript.objects.get_or_create(name=script["name"], defaults=script)
    LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)


def test_a_salesperson_completes_a_follow_up_with_a_referral_and_opens_the_new_lead(live_server, page: Page):
    rep = make_user("rep_on_duty", "sales")
    lead = sales_ready_lead(
        {"timeline": "this_month"},  # 80
        owner=rep,
        contact=ContactFactory(first_name="Sofia", last_name="Morales"),
        inquiry_reason="Old furnace",
        desired_outcome="Lower bills",
    )
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="6400", by=rep)
    FollowUp.objects.filter(lead=lead, kind="closed_won").update(due_at=timezone.now() - timedelta(minutes=5))

    log_in(page, live_server, "rep_on_duty")
    page.get_by_role("link", name="My follow-ups").click()
    card = page.get_by_test_id("followup").filter(has_text="Sofia Morales")
    expect(card).to_contain_text("Did we meet the needs you came to us with?")
    card.get_by_label("Yes").check()
    card.get_by_label("Is there anything more you would like to know").fill("How to change the filter")
    card.get_by_label("First name", exact=True).first.fill("Rita")
    card.get_by_label("Last name", exact=True).first.fill("Gomez")
    card.get_by_label("Phone", exact=True).first.fill("(555) 010-7788")
    card.get_by_label("Note", exact=True).fill("Very happy, gave us her neighbour")
    card.get_by_role("button", name="Done: record it").click()

    done = page.get_by_test_id("followup-done")
    expect(done).to_contain_text("Recorded: “Very happy, gave us her neighbour”")
    done.get_by_test_id("referral-link").click()
    referral = Lead.objects.get(source="referral")
    expect(page).to_have_url(re.compile(rf"/leads/{referral.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rita Gomez")
    expect(page.get_by_test_id("timeline")).to_contain_text("Referred by Sofia Morales")
    assert referral.referrer_id == lead.pk and Lead.objects.get(pk=lead.pk).stage == "customer"


@pytest.mark.redis
@pytest.mark.postgres
def test_marketing_sends_a_small_batch_and_watches_it_reach_done(live_server, page: Page, settings, tmp_path):
    from tests.integration.workers import start_worker, stop

    settings.CRM_LETTERS_DIR = tmp_path
    make_user("marketer", "marketing")
    for first in ("Grace", "Omar", "Julia"):
        lead = closed_lead(Stage.UNCLOSED, contact=ContactFactory(first_name=first, consent=True))
        Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=45))
    worker = start_worker(CRM_LETTERS_DIR=str(tmp_path))
    try:
        log_in(page, live_server, "marketer")
        open_from_marketing_menu(page, "Letters")
        page.get_by_role("link", name=LETTER["name"]).click()
        expect(page.get_by_test_id("letter-preview")).to_contain_text("Dear Grace,")
        page.get_by_role("button", name="Dry run: who would get it?").click()
        expect(page.get_by_test_id("dry-run-count")).to_contain_text("3 leads would get this letter now")
        expect(page.get_by_test_id("dry-run-count")).to_contain_text("3 also by e-mail")
        page.get_by_role("button", name="Send the batch").click()  # refused by the browser: not confirmed
        expect(page.get_by_test_id("dry-run-count")).to_be_visible()
        page.get_by_label("I checked the dry run").check()
        page.get_by_role("button", name="Send the batch").click()

        expect(page.get_by_text("Sending 3 letters")).to_be_visible()
        expect(page.locator("#batch-report")).to_have_attribute("data-status", "done", timeout=30_000)
        expect(page.get_by_test_id("sent")).to_have_text("3")
        letters = page.get_by_test_id("letters")  # the letters came with the last poll: no reload
        for first in ("Grace", "Omar", "Julia"):
            expect(letters).to_contain_text(first)
        with page.expect_download() as download:
            page.get_by_test_id("batch-pdf").click()
        assert download.value.suggested_filename.endswith(".pdf")
    finally:
        stop(worker)
    assert Letter.objects.count() == 3
