"""Search from the top bar (`GET /search/?q=`, suggestions at `/search/suggest/`): people with
their latest lead, companies, an offer's or a letter's code with its leads; only what the role
may see; a few queries whatever the size of the book."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Company
from followups.models import Letter, LetterBatch, LetterTemplate
from leads.selectors import find_companies
from leads.services import log_interaction
from tests.factories import (
    ContactFactory,
    LeadFactory,
    client_for,
    closed_lead,
    lead_after,
    live_offer,
    sales_ready_lead,
    signed_in_client,
)

pytestmark = pytest.mark.django_db


def person(first, last, company=None, **fields):
    return ContactFactory(first_name=first, last_name=last, company=company, **fields)


@pytest.fixture
def book(users):
    """Harbor Logistics has Ana (sales1's), Ben (sales2's) and Dan (the pool); Ortland Supply
    only Cara, an inquiry nobody in sales may see. Ana and Cara came in on SPRING25; sales2's
    unclosed Eve got a letter."""
    harbor = Company.objects.create(name="Harbor Logistics", city="Tacoma", region="WA", size_band="50-249")
    ortland = Company.objects.create(name="Ortland Supply", city="Portland", region="OR")
    offer = live_offer("SPRING25")
    ana = sales_ready_lead(owner=users["sales"], contact=person("Ana", "Ortega", harbor, phone="+16175550142"))
    ben = sales_ready_lead(owner=users["sales2"], contact=person("Ben", "Ortiz", harbor, phone="+16175550199"))
    dan = sales_ready_lead(contact=person("Dan", "Ortman", harbor))
    cara = lead_after("web_visit", contact=person("Cara", "Orr", ortland))
    for lead in (ana, cara):
        log_interaction(lead_id=lead.pk, kind="web_visit", offer_code=offer.code)
    eve = closed_lead("unclosed", by=users["sales2"], contact=person("Eve", "Ortolan"))
    template = LetterTemplate.objects.create(name="Come back", subject="Hello", body="Dear {{ first_name }}")
    batch = LetterBatch.objects.create(template=template, unclosed_days=30, selected_at=timezone.now())
    Letter.objects.create(
        batch=batch, lead=eve, template=template, code="K7Q4MZPX", status="sent", sent_at=timezone.now()
    )
    return {"ana": ana, "ben": ben, "dan": dan, "cara": cara, "eve": eve, "harbor": harbor, "ortland": ortland}


def section(html: str, testid: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def names(html: str) -> set[str]:
    return {name for name in ("Ana Ortega", "Ben Ortiz", "Cara Orr", "Dan Ortman", "Eve Ortolan") if name in html}


def search(user, q: str) -> str:
    response = client_for(user).get("/search/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


# --- What each role finds --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["csr", "marketing", "manager"])
def test_the_roles_that_see_every_lead_find_everyone_and_every_company(users, book, role):
    html = search(users[role], "Or")
    assert names(section(html, "search-people")) == {"Ana Ortega", "Ben Ortiz", "Cara Orr", "Dan Ortman", "Eve Ortolan"}
    assert "Ortland Supply" in section(html, "search-companies")
    people = section(html, "search-people")
    assert f'href="/leads/{book["ana"].pk}/"' in people  # the person opens their latest lead
    assert f'href="/companies/{book["harbor"].pk}/"' in people  # and their company its page
    assert "Sales-ready" in people and "Inquiry" in people


def test_a_salesperson_finds_only_their_own_leads_and_the_pool(users, book):
    html = search(users["sales"], "Or")
    assert names(section(html, "search-people")) == {"Ana Ortega", "Dan Ortman"}
    assert "Ortland Supply" not in html  # only an inquiry there: nothing of theirs
    by_company = search(users["sales"], "Harbor")
    assert names(by_company) == {"Ana Ortega", "Dan Ortman"}  # the people at Harbor they may see
    assert "Harbor Logistics" in section(by_company, "search-companies")


def test_a_salesperson_does_not_find_a_colleagues_lead_by_phone_name_or_email(users, book):
    ben = book["ben"].contact
    for q in ("0199", "(617) 555-0199", "Ben Ortiz", ben.email):
        html = search(users["sales"], q)
        assert not section(html, "search-people") and not section(html, "search-companies"), q
        assert "Nothing you may see matches" in html, q
    assert "Ben Ortiz" in section(search(users["sales2"], "0199"), "search-people")  # his own


def test_a_salesperson_does_not_find_a_company_where_they_have_no_lead(users, book):
    html = search(users["sales"], "Ortland")
    assert "Ortland Supply" not in html and "Cara Orr" not in html
    assert "Ortland Supply" in search(users["csr"], "Ortland")


# --- Codes ------------------------------------------------------------------------------------------


def test_an_offer_code_finds_the_offer_and_the_leads_that_came_in_on_it(users, book):
    html = search(users["csr"], "spring25")  # typed in any case
    offer = section(html, "search-offer")
    assert "SPRING25" in offer and "Live" in offer
    assert names(offer) == {"Ana Ortega", "Cara Orr"}
    assert offer.index("Cara Orr") < offer.index("Ana Ortega")  # newest first
    assert names(section(search(users["sales"], "SPRING25"), "search-offer")) == {"Ana Ortega"}


def test_a_letter_code_finds_the_letter_and_its_lead_only_for_who_may_see_it(users, book):
    for role in ("csr", "sales2"):
        letter = section(search(users[role], "k7q4-mzpx"), "search-letter")
        assert "K7Q4-MZPX" in letter and "Eve Ortolan" in letter, role
        assert f'href="/leads/{book["eve"].pk}/"' in letter
    refused = search(users["sales"], "K7Q4-MZPX")
    assert not section(refused, "search-letter") and "Eve Ortolan" not in refused


# --- The page, the suggestions, who may ask ---------------------------------------------------------


def test_every_page_has_the_search_box_in_the_top_bar_and_it_works_without_script(users, book):
    for path in ("/", "/leads/", f"/leads/{book['ana'].pk}/", "/reports/"):
        html = client_for(users["csr"]).get(path).content.decode()
        form = re.search(r'<form class="topsearch" method="get" action="/search/"[^>]*>.*?</form>', html, re.S)
        assert form, path
        assert 'name="q"' in form.group(0) and 'hx-get="/search/suggest/"' in form.group(0)


def test_a_short_or_empty_query_asks_for_more_and_suggests_nothing(users, book):
    assert "Type at least two characters." in search(users["csr"], "O")
    assert "Search" in search(users["csr"], "")
    for q in ("", "O", "  "):
        assert client_for(users["csr"]).get("/search/suggest/", {"q": q}).content == b""


def test_suggestions_group_a_few_of_each_and_lead_to_every_result(users, book):
    for n in range(8):
        sales_ready_lead(contact=person(f"P{n}", f"Orwell{n}", book["harbor"]))
    response = client_for(users["csr"]).get("/search/suggest/", {"q": "Or"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # a fragment for the box
    assert "People" in html and "Companies" in html and "Ortland Supply" in html
    assert html.count('href="/leads/') == 5  # five people, no more
    assert 'href="/search/?q=Or"' in html  # "All results"
    offer = client_for(users["csr"]).get("/search/suggest/", {"q": "SPRING25"}).content.decode()
    assert "SPRING25" in offer and "2 leads came in on it" in offer


def test_search_needs_a_role_and_a_login(users):
    assert client_for(users["nobody"]).get("/search/", {"q": "Or"}).status_code == 403
    assert client_for(users["nobody"]).get("/search/suggest/", {"q": "Or"}).status_code == 403
    from django.test import Client

    assert Client().get("/search/?q=Or")["Location"].startswith("/login/")


def test_a_real_login_reaches_the_results_page(users, book):
    response = signed_in_client(users["marketing"]).get("/search/", {"q": "Harbor"})
    assert "Harbor Logistics" in section(response.content.decode(), "search-companies")


# --- Cost ----------------------------------------------------------------------------------------


def queries(user, path, q) -> int:
    client = client_for(user)
    client.get(path, {"q": q})  # the session and the published rules are read once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, {"q": q}).status_code == 200
    return len(captured)


# Signing in (session, user), the companies, the offer and the letter codes, the offer's leads, and
# find_callers' branches (phone, ending, e-mail, names, company), each one query and one more for
# the leads of the people it found: never one per person found.
MAX_QUERIES = 18


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_a_search_costs_a_few_queries_however_many_it_finds(users, book, role):
    few = {path: queries(users[role], path, "Or") for path in ("/search/", "/search/suggest/")}
    for n in range(25):
        sales_ready_lead(owner=users["sales"], contact=person(f"P{n}", f"Orwell{n}", book["harbor"]))
        Company.objects.create(name=f"Orca {n}")
        LeadFactory(contact=person(f"Q{n}", f"Ore{n}", Company.objects.get(name=f"Orca {n}")))
    many = {path: queries(users[role], path, "Or") for path in ("/search/", "/search/suggest/")}
    assert max(*few.values(), *many.values()) <= MAX_QUERIES, (few, many)
    assert queries(users[role], "/search/", "SPRING25") <= MAX_QUERIES
    assert queries(users[role], "/search/", "K7Q4MZPX") <= MAX_QUERIES
    html = client_for(users[role]).get("/search/", {"q": "Or"}).content.decode()
    people = section(html, "search-people")
    assert people.count("<li>") == 20 and "The first 20" in people  # the page stops at 20 people


@pytest.mark.postgres
def test_the_company_search_reads_its_prefix_index(users, book):
    """With the planner told to avoid scans, the name prefix is served by company_name_prefix_idx
    (leads migration 0007): an index range, not a read of every company."""
    query = Company.objects.filter(name__istartswith="Harb").order_by("name", "id")[:20]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "company_name_prefix_idx" in plan, plan
    assert [c.name for c in find_companies("harb", user=users["csr"])] == ["Harbor Logistics"]
