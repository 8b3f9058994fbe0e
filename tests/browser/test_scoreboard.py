"""The scoreboard in a real browser: change the period, work the calculator with the seed's
example ($1M at 10% needs a $10M pipeline) as you type, and download a table as CSV."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads.models import Lead
from tests.browser.steps import log_in
from tests.factories import LeadFactory, make_user, won_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_scoreboard_works_the_calculator_and_downloads_a_csv(live_server, page: Page):
    make_user("boss", "manager")
    won_lead("5000", cycle_days=12, utm_source="radio")
    old = LeadFactory(stage="inquiry", utm_source="radio")
    Lead.objects.filter(pk=old.pk).update(inquired_at=timezone.now() - timedelta(days=200))
    log_in(page, live_server, "boss")
    page.get_by_role("link", name="Scoreboard").click()
    summary = page.get_by_test_id("summary")
    expect(summary.locator("[data-figure=leads] td").first).to_have_text("1")
    expect(summary.locator("[data-figure=close_ratio] td").first).to_have_text("100%")

    # A longer period takes in the older lead.
    page.get_by_label("From").fill((timezone.localdate() - timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(summary.locator("[data-figure=leads] td").first).to_have_text("2")
    expect(summary.locator("[data-figure=close_ratio] td").first).to_have_text("50%")

    # The calculator answers as the numbers are typed: no button press.
    page.get_by_label("Target revenue").fill("1000000")
    page.get_by_label("Close rate (%)").fill("10")
    page.get_by_label("Average deal").fill("5000")
    expect(page.get_by_test_id("pipeline-needed")).to_have_text("$10,000,000.00")
    expect(page.get_by_test_id("leads-needed")).to_have_text("2000")
    page.get_by_label("Close rate (%)").fill("0")
    expect(page.locator("#calculator-result")).to_contain_text("A close rate is a share from 0.0001")

    with page.expect_download() as download_info:
        page.locator("#by-utm_source").get_by_role("link", name="CSV").click()
    download = download_info.value
    assert re.match(r"sources-utm_source-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$", download.suggested_filename)
    text = open(download.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("source,leads,won") and "radio,2,1,0.5,5000.00" in text
