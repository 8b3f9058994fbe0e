"""The top bar's search in a real browser: typing suggests people and companies, the keyboard
reaches a suggestion and opens it, Enter opens the results page, and from there a company's
page; a salesperson's suggestions leave out what is not theirs."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Company
from tests.browser.steps import log_in
from tests.browser.test_accessibility import violations
from tests.factories import ContactFactory, lead_after, make_user, sales_ready_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CRM_SCREENSHOTS", "")  # a folder: the pages are saved there to look at


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def at(company, first, last):
    return {"contact": ContactFactory(first_name=first, last_name=last, company=company)}


@pytest.fixture
def harbor():
    company = Company.objects.create(name="Harbor Logistics", city="Tacoma", region="WA", size_band="50-249")
    rep = make_user("rep_search", "sales")
    make_user("csr_search", "csr")
    ana = sales_ready_lead(owner=rep, **at(company, "Ana", "Harding"))
    cara = lead_after("web_visit", **at(company, "Cara", "Harlow"))
    return {"company": company, "ana": ana, "cara": cara}


def test_a_csr_types_in_the_top_bar_and_opens_a_person_by_keyboard(live_server, page: Page, harbor):
    log_in(page, live_server, "csr_search")
    box = page.get_by_role("searchbox", name="Search people, companies, leads and codes")
    box.press_sequentially("Har", delay=40)
    suggestions = page.get_by_test_id("search-suggestions")
    expect(suggestions).to_contain_text("Ana Harding")
    expect(suggestions).to_contain_text("Cara Harlow")
    expect(suggestions).to_contain_text("Harbor Logistics")
    assert violations(page) == []
    shot(page, "search-suggestions-csr-1280")

    page.keyboard.press("ArrowDown")  # into the suggestions: the first person
    expect(suggestions.get_by_role("link", name="Ana Harding")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(suggestions.get_by_role("link", name="Cara Harlow")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/leads/{harbor['cara'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cara Harlow")

    # Escape closes the suggestions and gives the box back.
    box.press_sequentially("Harb", delay=40)
    expect(suggestions).to_contain_text("Harbor Logistics")
    page.keyboard.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_be_focused()


def test_enter_opens_the_results_page_and_a_company_from_it(live_server, page: Page, harbor):
    log_in(page, live_server, "csr_search")
    box = page.get_by_role("searchbox", name="Search people, companies, leads and codes")
    box.fill("harbor")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/search/?q=harbor")
    companies = page.get_by_test_id("search-companies")
    expect(companies).to_contain_text("Tacoma, WA")
    assert violations(page) == []
    shot(page, "search-results-csr-1280")
    companies.get_by_role("link", name="Harbor Logistics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Logistics")
    expect(page.get_by_test_id("company-people")).to_contain_text("Cara Harlow")
    assert violations(page) == []


def test_a_salesperson_is_suggested_only_their_own(live_server, page: Page, harbor):
    log_in(page, live_server, "rep_search")
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.get_by_role("searchbox", name="Search people, companies, leads and codes")
    box.press_sequentially("Har", delay=40)
    suggestions = page.get_by_test_id("search-suggestions")
    expect(suggestions).to_contain_text("Ana Harding")
    expect(suggestions).to_contain_text("Harbor Logistics")
    expect(suggestions).not_to_contain_text("Cara Harlow")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the suggestions push the page {overflow}px sideways at 390 px"
    shot(page, "search-suggestions-sales-390")
    suggestions.get_by_role("link", name=re.compile(r"^Harbor Logistics")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Logistics")
    expect(page.get_by_test_id("company-people")).not_to_contain_text("Cara Harlow")
