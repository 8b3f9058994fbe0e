"""The score analysis in a real browser: a manager opens it from the Marketing menu on a small
book (72 closed leads made through the services), reads the calibration chart and table, bands
the scores by temperature instead, and proposes the suggested points as a draft."""

import re

import pytest
from playwright.sync_api import Page, expect

from scoring.models import RuleSet, RuleSetStatus
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.factories import make_user
from tests.reports.score_book import score_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_calibration_bands_by_temperature_and_proposes_a_draft(live_server, page: Page):
    make_user("boss", "manager")
    score_book()
    log_in(page, live_server, "boss")
    open_from_marketing_menu(page, "Score analysis")
    expect(page).to_have_url(re.compile(r"/reports/analysis/$"))

    calibration = page.get_by_test_id("calibration")
    expect(calibration.get_by_test_id("reliability-chart")).to_be_visible()
    expect(calibration.get_by_test_id("auc")).to_contain_text(re.compile(r"a won lead outscored a lost one \d+ %"))
    table = calibration.get_by_test_id("calibration-table")
    # Sales-ready at 65 (a budget being planned) or 75 (approved): the two deciles that hold leads.
    expect(table.get_by_role("row", name=re.compile(r"^60–69 42 9 "))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(r"^70–79 30 16 "))).to_be_visible()
    expect(page.get_by_test_id("raters").locator("tr.flagged")).to_have_attribute("data-rater", "yves")

    calibration.get_by_label("Bands").select_option(label="Temperature (cold, warm, hot)")
    calibration.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"bands=temperature"))
    rows = page.get_by_test_id("calibration-table").locator("tbody th")
    expect(rows).to_have_text(["cold", "warm", "hot"])
    expect(page.get_by_test_id("calibration-table").get_by_role("row", name=re.compile(r"^hot 30 16 "))).to_be_visible()
    expect(page.get_by_label("Bands")).to_have_value("temperature")

    page.get_by_role("button", name="Propose as a draft").click()
    expect(page).to_have_url(re.compile(r"/scoring/$"))
    expect(page.get_by_role("status")).to_contain_text("The draft holds the points the outcomes suggest")
    assert RuleSet.objects.filter(status=RuleSetStatus.DRAFT).exists()
