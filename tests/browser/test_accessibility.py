"""Every page, as each role, passes axe-core's WCAG 2.1 AA rules in a real Chromium.

The pages are found by following the links a user of that role sees, from their home page on,
so a new page is checked as soon as something links to it. axe-core is vendored in
tests/browser/vendor (from the npm registry, MPL-2.0); nothing is fetched at run time."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from demo.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Not pages: leaving, the admin (Django's own), the API and its docs, files to download.
SKIP = re.compile(r"^/(logout|admin|api|static)/|\.(pdf|csv|json)$|/(export|download)")
MAX_PAGES = 60


def violations(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)  # evaluated through DevTools: the page's CSP does not apply to it
    result = page.evaluate("rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        + (f" and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else "")
        for v in result["violations"]
    ]


def pattern(path: str) -> str:
    """/leads/12/ and /leads/40/ are one page to check."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def crawl(page: Page, base: str) -> tuple[dict[str, list[str]], list[str]]:
    """Follow the same-site links from the home page; axe each kind of page once.

    Returns the violations per page checked and the broken links: a link a role is shown must
    lead somewhere that works for that role, so a page answering 4xx/5xx is a failure naming the
    page and the one whose link led there, never a page quietly left out of the check."""
    found, broken, seen = {}, [], set()
    queue = [("/", "the landing page after login")]
    while queue:
        path, linked_from = queue.pop(0)
        if pattern(path) in seen:
            continue
        assert len(found) < MAX_PAGES, f"more than {MAX_PAGES} kinds of page: raise MAX_PAGES to check them all"
        seen.add(pattern(path))
        response = page.goto(base + path)
        if response is None or response.status != 200:
            status = "no response" if response is None else response.status
            broken.append(f"{path} answered {status} (linked from {linked_from})")
            continue
        if not page.url.startswith(base):
            continue
        found[path] = violations(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(href)
            if target.netloc or not target.path.startswith("/") or SKIP.search(target.path):
                continue
            if pattern(target.path) not in seen:
                queue.append((target.path, path))
    return found, broken


@pytest.mark.parametrize("role", ["csr", "sales", "marketing", "manager"])
def test_every_page_passes_wcag_21_aa(live_server, page: Page, role):
    call_command("seed_demo", verbosity=0)
    page.goto(f"{live_server.url}/login/")
    checked_login = violations(page)
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    crawled, broken = crawl(page, live_server.url)
    assert not broken, f"links {role} is shown that do not work for {role}:\n" + "\n".join(broken)
    checked = {"/login/": checked_login, **crawled}

    # The console with a caller open, and the 403 page a role meets on another role's page.
    page.goto(f"{live_server.url}/console/")
    search = page.get_by_label("Phone, name, e-mail or code")
    search.fill("Ortega")
    search.press("Enter")
    expect(page.locator("#caller")).not_to_contain_text("Find the caller on the left", timeout=10_000)
    checked["/console/ with a caller"] = violations(page)
    # The top bar's search: its suggestions open, and its results page (a form's, not a link's).
    page.get_by_role("searchbox", name="Search people, companies, leads and codes").press_sequentially("Harbor")
    expect(page.get_by_test_id("search-suggestions")).to_contain_text("Harbor Logistics")
    checked["the top bar's search suggestions"] = violations(page)
    page.goto(f"{live_server.url}/search/?q=Harbor")
    checked["/search/?q=Harbor"] = violations(page)
    if page.goto(f"{live_server.url}/waiting/").status == 403:  # a manager's page: the refusal reads well too
        checked["/waiting/ refused"] = violations(page)
    failing = {path: found for path, found in checked.items() if found}
    assert not failing, "\n".join(f"{path}:\n  " + "\n  ".join(found) for path, found in failing.items())


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_the_console_queue_and_lead_page_fit_a_phone(live_server, page: Page, role):
    """At 390 px wide nothing scrolls sideways: wide tables scroll inside their own box."""
    call_command("seed_demo", verbosity=0)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/leads/")
    lead_page = page.locator("table a[href^='/leads/']").first.get_attribute("href")
    pages = ["/leads/", lead_page, "/console/"] + (["/queue/"] if role == "sales" else [])
    for path in pages:
        page.goto(live_server.url + path)
        if path == "/console/":
            page.get_by_label("Phone, name, e-mail or code").fill("Ortega")
            page.get_by_label("Phone, name, e-mail or code").press("Enter")
            expect(page.locator("#caller h2").first).to_be_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls {overflow}px sideways at 390 px"
