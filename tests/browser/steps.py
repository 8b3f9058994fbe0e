"""Steps the browser journeys share."""

import re

from playwright.sync_api import Page, expect

from tests.factories import DEMO_PASSWORD


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"^[^?#]*://[^/]+/$"))  # their home


def open_from_marketing_menu(page: Page, name: str) -> None:
    """Follow one of marketing's tools from the top bar, where they sit under one "Marketing"
    menu: open it, as a person does, then take the link."""
    menu = page.locator(".topbar nav")
    menu.get_by_text("Marketing", exact=True).click()
    menu.get_by_role("link", name=name, exact=True).click()
