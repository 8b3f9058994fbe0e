"""The top bar at a laptop's 1,280 px: the menu holds on one line for every role (it wrapped for
marketing and managers), marketing's tools open from one "Marketing" menu, by mouse or keyboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def menu_rows(page: Page) -> set[int]:
    """The distinct tops of the menu's items: one line, one top."""
    tops = page.evaluate(
        "[...document.querySelectorAll('.topbar nav > *')].map(e => Math.round(e.getBoundingClientRect().top))"
    )
    return set(tops)


@pytest.mark.parametrize("role", ["csr", "sales", "marketing", "manager"])
def test_the_menu_holds_on_one_line_at_1280_px(live_server, page: Page, role):
    make_user(f"the_{role}", role)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, f"the_{role}")
    assert len(menu_rows(page)) == 1, f"the menu wraps for {role} at 1,280 px"
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    menu = page.locator(".topbar nav")
    if role in ("csr", "sales"):
        expect(menu.get_by_text("Marketing", exact=True)).to_have_count(0)
        return
    tools = menu.get_by_role("link", name="Scoring", exact=True)
    expect(tools).to_be_hidden()
    menu.get_by_text("Marketing", exact=True).focus()
    page.keyboard.press("Enter")  # a <summary>: the keyboard opens it as a click does
    for name in ("Campaigns", "Letters", "Import", "Scoring", "Sales feedback"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert len(menu_rows(page)) == 1  # open, it drops below the bar instead of pushing the menu about
    tools.click()
    expect(page).to_have_url(re.compile(r"/scoring/$"))
