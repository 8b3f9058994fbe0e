"""The home page (`GET /`): each role's sections, what appears and what does not, the links to
where the work is done, and a query count that does not grow with the book."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followups.letters.services import start_batch
from followups.models import LetterTemplate
from followups.services import schedule_callback
from imports.services import create_draft, start_import
from jobs.services import run_job
from leads.kinds import Source, Stage
from leads.models import Lead
from leads.services import log_interaction
from sales.services import accept_lead
from tests.desk.builders import closed, handed_over, lead_after, named, sales_ready
from tests.factories import LeadFactory, client_for, live_offer, make_user

pytestmark = pytest.mark.django_db


def today_bounds():
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def callback(lead, *, by, due_at, assignee=None):
    followup = schedule_callback(
        lead_id=lead.pk, due_at=max(due_at, timezone.now() + timedelta(minutes=1)), by=by, assignee_id=assignee
    )
    if due_at < timezone.now():  # its time came and went: the clock moved on since it was booked
        type(followup).objects.filter(pk=followup.pk).update(due_at=due_at, status="due")
    return followup


def section(html: str, testid: str) -> str:
    """The HTML of one section of the home page ('' when it is not there)."""
    found = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    return found.group(0) if found else ""


SECTIONS = (
    "home-followups",
    "home-calls",
    "home-to-accept",
    "home-numbers",
    "home-offers",
    "home-running",
    "home-week",
    "home-waiting",
    "home-load",
)


def sections_on(html: str) -> set[str]:
    return {testid for testid in SECTIONS if section(html, testid)}


# --- Who gets a home, and where the login lands ---------------------------------------------------


def test_the_login_lands_on_home_and_home_asks_for_a_login(users):
    from django.test import Client

    from tests.factories import DEMO_PASSWORD

    anonymous = Client()
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"

    response = anonymous.post("/login/", {"username": "csr1", "password": DEMO_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "<h1>Home" in response.content.decode()


def test_a_user_without_a_role_is_refused_home(users):
    response = client_for(users["nobody"]).get("/")
    assert response.status_code == 403
    assert "ask a manager" in response.content.decode()


def test_the_top_bar_leads_home_and_to_the_pipeline_for_those_who_have_one(users):
    for role, has_board in (("csr", False), ("sales", True), ("marketing", True), ("manager", True)):
        html = client_for(users[role]).get("/").content.decode()
        topbar = html.split("</header>")[0]
        assert '<a class="brand" href="/">' in topbar
        assert ('href="/pipeline/"' in topbar) is has_board, role


# --- The CSR ------------------------------------------------------------------------------------


def test_the_csr_sees_the_callbacks_due_and_the_calls_logged_today(users):
    csr, other = users["csr"], make_user("csr_other", "csr")
    start, end = today_bounds()
    overdue = LeadFactory(**named("Olga", "Overdue"))
    later_today = LeadFactory(**named("Tina", "Today"))
    tomorrow = LeadFactory(**named("Tom", "Tomorrow"))
    colleagues = LeadFactory(**named("Carl", "Colleague"))
    callback(overdue, by=csr, due_at=start - timedelta(hours=3))
    callback(later_today, by=csr, due_at=end - timedelta(seconds=1))
    callback(tomorrow, by=csr, due_at=end + timedelta(hours=2))
    callback(colleagues, by=other, due_at=start - timedelta(hours=1))
    called = LeadFactory(**named("Cora", "Caller"))
    log_interaction(lead_id=called.pk, kind="call_inbound", author=csr)
    log_interaction(lead_id=called.pk, kind="call_outbound", author=csr)
    log_interaction(lead_id=called.pk, kind="note", author=csr)  # not a call
    log_interaction(lead_id=called.pk, kind="call_inbound", author=csr, occurred_at=start - timedelta(minutes=5))
    log_interaction(lead_id=called.pk, kind="call_inbound", author=other)

    html = client_for(csr).get("/").content.decode()

    assert sections_on(html) == {"home-followups", "home-calls"}
    due = section(html, "home-followups")
    assert "Callbacks due" in due
    assert "<strong>1</strong> overdue and <strong>1</strong> more due today" in due
    assert "Olga Overdue" in due and "Tina Today" in due
    assert "Tom Tomorrow" not in due and "Carl Colleague" not in due
    assert 'href="/followups/"' in due
    calls = section(html, "home-calls")
    assert "You logged <strong>2</strong> calls today: 1 inbound, 1 outbound." in calls
    assert "Cora Caller" in calls and 'href="/console/"' in calls


def test_the_csr_sees_the_csr_pools_follow_ups_and_an_empty_day_says_so(users):
    csr = users["csr"]
    html = client_for(csr).get("/").content.decode()
    assert "Nothing due today." in section(html, "home-followups")
    assert "No call logged yet today." in section(html, "home-calls")

    # A call planned after a close whose owner left goes to the CSR pool: every CSR sees it.
    lead = LeadFactory(**named("Pia", "Pooled"))
    followup = callback(lead, by=users["manager"], due_at=timezone.now() - timedelta(minutes=30))
    type(followup).objects.filter(pk=followup.pk).update(assignee=None, pool="CSR")
    assert "Pia Pooled" in section(client_for(csr).get("/").content.decode(), "home-followups")


# --- The salesperson -----------------------------------------------------------------------------


def test_the_salesperson_sees_leads_to_accept_follow_ups_due_and_their_numbers_beside_the_teams(users):
    sales, sales2, marketing = users["sales"], users["sales2"], users["marketing"]
    waiting = handed_over(sales, by=marketing, **named("Wendy", "Waiting"))
    accepted = handed_over(sales, by=marketing, **named("Abe", "Accepted"))
    accept_lead(lead_id=accepted.pk, by=sales)
    handed_over(sales2, by=marketing, **named("Otto", "Others"))
    callback(waiting, by=sales, due_at=timezone.now() - timedelta(minutes=10))
    closed(Stage.WON, by=sales, amount="1000.00")
    closed(Stage.WON, by=sales2, amount="3000.00")
    closed(Stage.DEAD, by=sales2)

    html = client_for(sales).get("/").content.decode()

    assert sections_on(html) == {"home-followups", "home-to-accept", "home-numbers"}
    to_accept = section(html, "home-to-accept")
    assert "<strong>1</strong> lead handed to you and not accepted yet" in to_accept
    assert "Wendy Waiting" in to_accept and f'href="/leads/{waiting.pk}/"' in to_accept
    assert "Abe Accepted" not in to_accept and "Otto Others" not in to_accept
    assert 'href="/queue/"' in to_accept
    assert "Follow-ups due" in section(html, "home-followups")
    assert "Wendy Waiting" in section(html, "home-followups")
    numbers = section(html, "home-numbers")
    # The scoreboard's figures over its period: the team's six leads, the salesperson's own three.
    figures = dict(re.findall(r'data-testid="([\w-]+)">\s*([^<]*?)\s*</td>', numbers))
    assert (figures["mine-leads"], figures["team-leads"]) == ("3", "6")
    assert (figures["mine-won"], figures["team-won"]) == ("1", "2")
    assert (figures["mine-avg_transaction"], figures["team-avg_transaction"]) == ("$1,000.00", "$2,000.00")
    assert 'href="/reports/"' in numbers
    assert numbers.index(">Team</th>") < numbers.index(">Yours</th>")  # the scoreboard's order


# --- Marketing ----------------------------------------------------------------------------------


def test_marketing_sees_live_offers_what_is_running_with_its_progress_and_this_weeks_leads_by_source(
    users, settings, tmp_path
):
    settings.CRM_IMPORTS_DIR = tmp_path / "imports"
    marketing = users["marketing"]
    live_offer("SPRING25", quantity_limit=100)
    live_offer("OVER", days_left=0, campaign="Old")  # its deadline is now: over
    for first in ("Wes", "Wanda"):
        LeadFactory(source=Source.WEB_FORM, **named(first))
    LeadFactory(source=Source.PHONE, **named("Phil"))
    last_month = LeadFactory(source=Source.REFERRAL, **named("Ray"))
    Lead.objects.filter(pk=last_month.pk).update(inquired_at=timezone.now() - timedelta(days=40))
    closed(Stage.UNCLOSED, by=users["sales"], **named("Una", "Unclosed"))
    template = LetterTemplate.objects.order_by("pk").first() or LetterTemplate.objects.create(
        name="Come back", subject="Still thinking?", body="Dear {{ first_name }}"
    )
    batch = start_batch(template_id=template.pk, unclosed_days=0, by=marketing)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", b"First name,Last name,E-mail\nAnn,Lee,ann@example.com\n")
    run = create_draft(upload=upload, list_name="Trade show", by=marketing)
    run = start_import(
        run_id=run.pk, mapping=["first_name", "last_name", "email"], mode="valid_rows", duplicates="skip", by=marketing
    )

    html = client_for(marketing).get("/").content.decode()

    assert sections_on(html) == {"home-offers", "home-running", "home-week"}
    offers = section(html, "home-offers")
    assert "SPRING25" in offers and "100 of 100 left" in offers and "OVER" not in offers
    assert 'href="/campaigns/"' in offers
    running = section(html, "home-running")
    assert f"{template.name}, batch {batch.pk}" in running and f'href="/letters/batches/{batch.pk}/"' in running
    assert "0 of 1 leads" in running  # the batch's one letter, not sent yet
    assert "Import of Trade show" in running and f'href="/imports/{run.pk}/"' in running
    assert running.count("<progress") == 2
    assert 'hx-trigger="every 2s"' in running  # it follows the progress while something runs
    week = section(html, "home-week")
    rows = dict(re.findall(r'data-source="(\w+)"><th scope="row">[^<]+</th><td class="num">(\d+)</td>', week))
    assert rows == {"web_form": "3", "phone": "1"}  # Wes, Wanda and Una's web forms; Ray came last month

    # Once both have finished, nothing is running, and the section stops asking.
    run_job(batch.job_id)
    run_job(run.job_id)
    running = client_for(marketing).get("/home/running/").content.decode()
    assert "Nothing is running now." in running and "hx-trigger" not in running


def test_the_running_section_alone_is_for_marketing(users):
    assert client_for(users["csr"]).get("/home/running/").status_code == 403
    assert client_for(users["marketing"]).get("/home/running/").status_code == 200


# --- The manager --------------------------------------------------------------------------------


def waiting_hot_lead(**fields):
    """A hot web-form lead nobody has called, hot for two hours (past the 60-minute response time)."""
    lead = lead_after("form", {"timeline": "this_month"}, {"decision_maker": "yes"}, {"budget": "approved"}, **fields)
    assert lead.temperature == "hot", lead.score
    Lead.objects.filter(pk=lead.pk).update(hot_since=timezone.now() - timedelta(hours=2))
    return lead


def test_the_manager_sees_hot_leads_waiting_and_each_persons_load(users):
    manager, sales, sales2, csr = users["manager"], users["sales"], users["sales2"], users["csr"]
    waiting_hot_lead(**named("Hattie", "Hot"))
    sales_ready(owner=sales, **named("Sam", "Sold"))
    sales_ready({"timeline": "this_month"}, owner=sales, **named("Hal", "Hotter"))
    closed(Stage.WON, by=sales2, amount="10")  # closed: not load
    callback(LeadFactory(), by=csr, due_at=timezone.now() - timedelta(minutes=5))
    callback(LeadFactory(), by=csr, due_at=timezone.now() + timedelta(days=2))  # not due yet

    html = client_for(manager).get("/").content.decode()

    assert sections_on(html) == {"home-waiting", "home-load"}
    waiting = section(html, "home-waiting")
    assert "<strong>1</strong> hot lead waiting" in waiting and "Hattie Hot" in waiting
    assert 'href="/waiting/"' in waiting
    load = section(html, "home-load")
    rows = {person: cells for person, cells in re.findall(r'data-person="([\w-]+)">(.*?)</tr>', load, re.S)}
    numbers = {person: re.findall(r'<td class="num">(\d+)</td>', cells) for person, cells in rows.items()}
    assert numbers["sales1"] == ["2", "1", "0"]  # open leads, of which hot, follow-ups due
    assert numbers["sales2"] == ["0", "0", "0"]
    assert numbers["csr1"] == ["0", "0", "1"]
    assert "marketing1" not in rows and "manager1" not in rows
    assert f'href="/leads/?owner={sales.pk}"' in load


# --- Several roles -------------------------------------------------------------------------------


def test_a_user_with_several_roles_sees_the_sections_of_each(users):
    both = make_user("csr_and_sales", "csr")
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name="Sales"))
    html = client_for(both).get("/").content.decode()
    assert sections_on(html) == {"home-followups", "home-calls", "home-to-accept", "home-numbers"}
    assert "Callbacks and follow-ups due" in html

    boss = make_user("marketing_and_manager", "marketing")
    boss.groups.add(Group.objects.get(name="Manager"))
    html = client_for(boss).get("/").content.decode()
    assert sections_on(html) == {"home-offers", "home-running", "home-week", "home-waiting", "home-load"}


# --- Queries ------------------------------------------------------------------------------------


def book(users, size: int):
    """`size` of everything a home page reads: leads of each kind, follow-ups, calls, offers."""
    sales, marketing, csr = users["sales"], users["marketing"], users["csr"]
    for i in range(size):
        handed_over(sales, by=marketing)
        lead = waiting_hot_lead()
        callback(lead, by=sales, due_at=timezone.now() - timedelta(minutes=5))
        callback(lead, by=csr, due_at=timezone.now() - timedelta(minutes=5))
        log_interaction(lead_id=lead.pk, kind="call_inbound", author=csr)
        closed(Stage.WON, by=sales, amount="100")
        live_offer(f"CODE{size}X{i}", campaign=f"Campaign {size}-{i}")


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


# The request's own (session, user, roles, unread notifications) and each section's few: the
# salesperson's numbers are the scoreboard's two summaries, and marketing's week the arrivals by
# source, each reading which days are stale before the rollups (reports.cohorts).
@pytest.mark.parametrize("role,most", [("csr", 8), ("sales", 18), ("marketing", 10), ("manager", 9)])
def test_each_home_reads_a_few_queries_whatever_the_size_of_the_book(users, role, most, django_assert_max_num_queries):
    client = client_for(users[role])
    book(users, 1)
    small = queries_for(client)
    book(users, 3)
    with django_assert_max_num_queries(most):
        assert client.get("/").status_code == 200
    assert queries_for(client) == small
