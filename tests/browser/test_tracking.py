"""Engagement tracking in a real browser (CONTRACT "Engagement tracking"): a prospect browses the
company's website, served from another origin than the CRM, with the website script on every
page, and sends its contact form; an unclosed prospect follows the tracked link in the letter
e-mailed to them. What sales then reads on the lead's page comes from the hits the browser made."""

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.db.models import Max
from playwright.sync_api import Page, expect

from crm.models import Contact
from followups.defaults import LETTER
from followups.models import LetterTemplate
from jobs import services as jobs
from leads.capture import create_form_key
from leads.kinds import InteractionKind
from leads.models import Interaction, Lead
from outbox.models import Email
from tests.browser.steps import log_in
from tests.factories import make_user
from tests.followups.conftest import shipped_defaults, unclosed_lead  # noqa: F401 (a fixture: the shipped letter)
from tests.tracking.conftest import send_letters
from tracking import hits
from tracking.fold import fold_all
from tracking.models import Hit, HitKind, Purpose, TrackedLink
from tracking.sitekeys import create_site_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, browser):
    """A prospect's everyday Chrome: headless Chromium says "HeadlessChrome" in its agent, which
    the product rightly takes for a scanner's, so its clicks would never count as a person's."""
    agent = (
        f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{browser.version} Safari/537.36"
    )
    return {**browser_context_args, "user_agent": agent}


class Website:
    """The company's own website: a few static pages served from 127.0.0.1 on a port of its own,
    while the CRM's live server is on localhost (another origin, another site)."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = pages.get(self.path.split("?", 1)[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write((body or "<!doctype html><title>Not found</title><h1>Not found</h1>").encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def website(live_server):
    site = Website()
    assert urlsplit(site.origin).hostname != urlsplit(live_server.url).hostname  # another origin, another site
    yield site
    site.stop()


def page_html(title: str, body: str, *, script: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · Harbor Heat Pumps</title>{script}</head>
<body>
<nav><a href="/">Home</a> · <a href="/pricing">Pricing</a> · <a href="/contact">Contact us</a></nav>
<h1>{title}</h1>
{body}
</body></html>"""


CONTACT_FORM = """
<form id="contact">
  <label>First name <input name="first_name"></label>
  <label>Last name <input name="last_name"></label>
  <label>E-mail <input name="email" type="email"></label>
  <label><input type="checkbox" name="consent"> Send me your news</label>
  <input type="hidden" name="visitor">
  <button type="submit">Send</button>
</form>
<p id="result" role="status"></p>
<script>
document.getElementById("contact").addEventListener("submit", async function (event) {
  event.preventDefault();
  var form = event.target;
  var fields = {
    first_name: form.first_name.value, last_name: form.last_name.value, email: form.email.value,
    consent: form.consent.checked, visitor: form.visitor.value
  };
  var answer = await fetch("BASE/api/v1/capture/", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Form-Key": "FORM_KEY"},
    body: JSON.stringify(fields)
  });
  document.getElementById("result").textContent =
    answer.ok ? "Thank you, we will call you soon." : "Sorry, that did not work (" + answer.status + ").";
});
</script>
"""


def beacons_in(visitor: str, *, views: list[str], left: list[str], timeout: float = 15.0) -> dict[str, list[str]]:
    """Wait until the visitor's page views are `views` and each page in `left` has said it was
    left, then until no beacon has come for half a second, and return the hits: the browser
    beacons on its own time."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = hits_of(visitor), None
    while True:
        if seen[HitKind.VIEW] == views and set(left) <= set(seen[HitKind.LEAVE]):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 0.5:
                return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for the views {views} and leaves of {left}; saw {seen}")
        time.sleep(0.05)
        now = hits_of(visitor)
        if now != seen:
            seen, quiet_since = now, None


_hit_table = threading.Lock()


@pytest.fixture(autouse=True)
def _one_hit_table_user_at_a_time_on_sqlite(monkeypatch):
    """On SQLite the test database is one in-memory database shared by the live server's threads
    and this test, where two statements on one table at once fail at once ("database table is
    locked") instead of waiting as PostgreSQL, or a SQLite file, does: a beacon written while
    another is, or while this test reads the hits, would be lost. There, the writes of hits and
    this test's reads of them take turns."""
    if connection.vendor != "sqlite":
        return
    append = hits.append

    def one_at_a_time(*args, **kwargs):
        with _hit_table:
            return append(*args, **kwargs)

    monkeypatch.setattr(hits, "append", one_at_a_time)


def fold() -> None:
    with _hit_table:
        fold_all()


def hits_of(visitor: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {HitKind.VIEW: [], HitKind.LEAVE: []}
    with _hit_table:
        found = list(Hit.objects.filter(visitor=visitor).order_by("id").values_list("kind", "url"))
    for kind, url in found:
        seen.setdefault(kind, []).append(url)
    return seen


def test_the_site_script_on_another_origin_counts_the_visit_of_a_prospect_who_then_sends_the_form(
    live_server, website, page: Page
):
    make_user("marketing", "marketing")
    _site_key, raw_site_key = create_site_key(name="www", origins=[website.origin])
    _form_key, raw_form_key = create_form_key(name="contact form", allowed_origins=[website.origin])
    script = f'<script src="{live_server.url}/track.js" data-key="{raw_site_key}" async></script>'
    website.pages.update(
        {
            "/": page_html("Heat pumps for every home", "<p>Quiet, efficient, installed in a day.</p>", script=script),
            "/pricing": page_html("Pricing", "<p>From $6,400 installed.</p>", script=script),
            "/contact": page_html(
                "Contact us",
                CONTACT_FORM.replace("BASE", live_server.url).replace("FORM_KEY", raw_form_key),
                script=script,
            ),
        }
    )

    home, pricing, contact = (f"{website.origin}{path}" for path in ("/?utm_source=newsletter", "/pricing", "/contact"))
    page.clock.install()  # the page's own clock, moved on below as if they read for a while
    page.goto(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("Heat pumps for every home")
    page.wait_for_function("() => typeof window.crmVisitor === 'string'")
    visitor = page.evaluate("window.crmVisitor")
    assert re.fullmatch(r"[0-9a-f]{32}", visitor), visitor
    beacons_in(visitor, views=[home], left=[])

    page.get_by_role("link", name="Pricing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pricing")
    assert page.evaluate("window.crmVisitor") == visitor  # kept in the site's storage, page to page
    beacons_in(visitor, views=[home, pricing], left=[home])
    page.clock.fast_forward("01:30")  # they read the prices for a minute and a half

    page.get_by_role("link", name="Contact us").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact us")
    beacons_in(visitor, views=[home, pricing, contact], left=[home, pricing])
    with _hit_table:
        read_prices = Hit.objects.filter(visitor=visitor, kind=HitKind.LEAVE, url=pricing).aggregate(Max("seconds"))
    assert 90 <= read_prices["seconds__max"] < 100, read_prices
    assert not Lead.objects.exists()  # an anonymous visitor is nobody's lead

    expect(page.locator("input[name=visitor]")).to_have_value(visitor)  # the script filled the form's field
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("E-mail").fill("nora.quinn@example.com")
    page.get_by_label("Send me your news").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you, we will call you soon.")
    page.goto("about:blank")  # they leave the site
    seen = beacons_in(visitor, views=[home, pricing, contact], left=[home, pricing, contact])
    assert seen[HitKind.LEAVE] == [home, pricing, contact]  # one "leave" a page left, not one per event

    lead = Lead.objects.get(contact=Contact.objects.get(email="nora.quinn@example.com"))
    assert not Interaction.objects.filter(lead=lead, kind=InteractionKind.WEB_VISIT).exists()  # until the fold
    fold()
    [visit] = Interaction.objects.filter(lead=lead, kind=InteractionKind.WEB_VISIT)
    assert visit.metadata["pages"] == 3
    assert 90 <= visit.metadata["seconds"] < 120
    assert visit.metadata["return_visit"] is False
    assert visit.metadata["landing_page"] == home
    assert visit.metadata["utm_source"] == "newsletter"

    log_in(page, live_server, "marketing")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nora Quinn")
    expect(page.get_by_test_id("timeline")).to_contain_text("Web visit")
    expect(page.get_by_test_id("visit-detail")).to_contain_text("3 pages")
    expect(page.get_by_test_id("timeline")).to_contain_text("Web form submitted")
    expect(page.get_by_test_id("engagement-visits")).to_have_text("1")
    expect(page.get_by_test_id("engagement-pages")).to_have_text("3")
    expect(page.get_by_test_id("engagement-time")).to_have_text(re.compile(r"^1 min [3-5]\d s$"))


@pytest.fixture
def no_broker(monkeypatch):
    """The letter batch is worked here (tests.tracking.conftest.send_letters), not by a worker."""
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id: None)


def test_a_prospect_follows_the_tracked_link_in_a_letter_from_the_outbox(
    live_server, website, page: Page, settings, tmp_path, no_broker
):
    settings.CRM_BASE_URL = live_server.url  # the address the e-mails' tracked links are on
    make_user("marketing", "marketing")
    destination = f"{website.origin}/spring?utm_source=letter"
    website.pages["/spring"] = page_html("Spring offer", "<p>A free smart thermostat with every heat pump.</p>")
    letter_template = LetterTemplate.objects.get(name=LETTER["name"])
    letter_template.body += f"\n\nSee what is new this spring: {destination}"
    letter_template.save()
    lead = unclosed_lead(first_name="Grace", last_name="Kim", email="grace.kim@example.com", consent=True)

    [letter] = send_letters(letter_template, settings, tmp_path)
    assert letter.lead_id == lead.pk
    email = Email.objects.get(key=f"letter:{letter.pk}", to_address="grace.kim@example.com")
    assert destination not in email.text  # only its tracked address is in the e-mail
    [tracked] = re.findall(rf"{re.escape(live_server.url)}/t/[0-9A-Za-z]+", email.text)
    link = TrackedLink.objects.get(email_key=email.key, purpose=Purpose.CLICK)
    assert link.url == destination and link.lead_id == lead.pk
    assert not Hit.objects.filter(link_id__isnull=False).exists()

    answer = page.goto(tracked)
    expect(page).to_have_url(destination)
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring offer")
    redirect = answer.request.redirected_from
    assert redirect is not None and redirect.url == tracked and redirect.response().status == 302

    [click] = Hit.objects.filter(link_id__isnull=False)
    assert (click.link_id, click.kind, click.machine) == (link.pk, HitKind.CLICK, "")  # a person's click
    fold()
    [clicked] = Interaction.objects.filter(lead=lead, kind=InteractionKind.EMAIL_CLICK)
    assert clicked.metadata["link"] == destination and clicked.metadata["email"] == email.key
    assert Interaction.objects.filter(lead=lead, kind=InteractionKind.EMAIL_OPEN).count() == 1  # a click implies it

    log_in(page, live_server, "marketing")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Kim")
    expect(page.get_by_test_id("timeline")).to_contain_text("E-mail link clicked")
    expect(page.get_by_test_id("engagement-clicks")).to_have_text("1")
    expect(page.get_by_test_id("engagement-opens")).to_have_text("1")
    sent = page.get_by_test_id("engagement").locator("tbody tr")
    expect(sent).to_have_count(1)
    expect(sent.locator("td").last).to_have_text("1")  # the e-mail's clicks
