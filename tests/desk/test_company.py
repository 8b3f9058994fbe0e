"""A company's page (`/companies/<id>/`): its people and their leads, revenue, the merged
timeline, who may see it; its profile facts corrected on `/companies/<id>/edit/` through
crm.services.update_company, which leads.services.edit_company_profile wraps to rescore the
company's open leads; links to it from the lead page, the lead list and the console."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Company
from crm.services import update_company
from leads.kinds import Stage
from leads.models import Lead, StageChange
from leads.services import edit_company_profile, log_interaction
from scoring.models import ScoreChange
from tests.factories import FACTS, ContactFactory, LeadFactory, client_for, lead_after, sales_ready_lead, won_lead

pytestmark = pytest.mark.django_db


def section(html: str, testid: str) -> str:
    found = re.search(rf'<(section|ol)[^>]*data-testid="{testid}".*?</\1>', html, re.S)
    return found.group(0) if found else ""


def at(company, first, last, **fields):
    return {"contact": ContactFactory(first_name=first, last_name=last, company=company, **fields)}


@pytest.fixture
def harbor(users):
    """Harbor Logistics: Ana (sales1's, won for $12,500), Ben (sales2's, open), Cara (an inquiry,
    55: an inbound call and "decides with someone", short of sales-ready), Dan (nobody's yet, no
    lead). Its size band is not known, so no profile-fit points yet."""
    company = Company.objects.create(name="Harbor Logistics", industry_code="488510", city="Tacoma", region="WA")
    ana = won_lead(Decimal("12500"), by=users["sales"], **at(company, "Ana", "Ortega"))
    ben = sales_ready_lead(owner=users["sales2"], **at(company, "Ben", "Ortiz"))
    cara = lead_after("call_inbound", {"decision_maker": "shared"}, **FACTS, **at(company, "Cara", "Orr"))
    ContactFactory(first_name="Dan", last_name="Ortman", company=company)
    return {"company": company, "ana": ana, "ben": ben, "cara": cara}


def page(user, company) -> str:
    response = client_for(user).get(f"/companies/{company.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- What the page shows ------------------------------------------------------------------------------


def test_the_page_shows_the_people_their_leads_revenue_and_profile(users, harbor):
    html = page(users["csr"], harbor["company"])
    assert "<h1>Harbor Logistics</h1>" in html
    people = section(html, "company-people")
    for name in ("Ana Ortega", "Ben Ortiz", "Cara Orr", "Dan Ortman"):
        assert name in people
    for lead in (harbor["ana"], harbor["ben"], harbor["cara"]):
        assert f'href="/leads/{lead.pk}/"' in people
    assert "No lead" in people  # Dan
    assert section(html, "company-figures").count("$12,500.00") == 1
    assert "from 1 sale" in section(html, "company-figures")
    profile = section(html, "company-profile")
    assert "488510" in profile and "Tacoma" in profile and 'href="/companies/' in profile  # Edit


def test_the_timeline_merges_every_leads_history_newest_first_and_is_bounded(users, harbor):
    for n in range(40):
        log_interaction(lead_id=harbor["cara"].pk, kind="web_visit", note=f"visit {n}")
    log_interaction(lead_id=harbor["ben"].pk, kind="meeting", note="Walked the warehouse")
    html = section(page(users["manager"], harbor["company"]), "timeline")
    entries = re.findall(r"<li class=\"(\w+)\">", html)
    assert len(entries) == 30  # the latest 30, not all 100 and more
    first = html.index("Walked the warehouse")
    assert first < html.index("visit 39") < html.index("visit 38")  # newest first, across leads
    assert "visit 5" not in html  # older than the latest 30
    assert f'href="/leads/{harbor["ben"].pk}/">Ben Ortiz</a>' in html  # each entry says whose


def test_the_page_costs_a_few_queries_however_big_the_company(users, harbor):
    client = client_for(users["manager"])
    path = f"/companies/{harbor['company'].pk}/"
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    for n in range(12):
        sales_ready_lead(owner=users["sales"], **at(harbor["company"], f"P{n}", f"Extra{n}"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    # Signing in (3), the figures, the people (count, rows, their leads), the timeline (a query per
    # kind of entry, sequences' entries and their steps among them, and the leads it names), the
    # rules, the unread count: none per person or lead.
    assert len(many) == len(few) <= 20, [q["sql"][:80] for q in many.captured_queries]


# --- Who may see it -------------------------------------------------------------------------------------


def test_a_salesperson_sees_the_company_only_through_a_lead_of_theirs_and_only_those_leads(users, harbor):
    html = page(users["sales"], harbor["company"])  # through Ana, theirs
    people = section(html, "company-people")
    assert "Ana Ortega" in people
    assert "Ben Ortiz" not in html and "Cara Orr" not in html and "Dan Ortman" not in html
    assert "$12,500.00" in section(html, "company-figures")
    assert f"/leads/{harbor['ben'].pk}/" not in html
    assert "Edit the profile" not in html
    sales2 = page(users["sales2"], harbor["company"])
    assert "Ben Ortiz" in sales2 and "Ana Ortega" not in sales2
    assert "None yet" in section(sales2, "company-figures")  # Ana's sale is not theirs to see

    elsewhere = Company.objects.create(name="Ortland Supply")
    LeadFactory(**at(elsewhere, "Eve", "Ortolan"))  # an inquiry: no salesperson's
    assert client_for(users["sales"]).get(f"/companies/{elsewhere.pk}/").status_code == 404
    assert client_for(users["sales"]).get("/companies/999999/").status_code == 404
    assert client_for(users["csr"]).get(f"/companies/{elsewhere.pk}/").status_code == 200


def test_the_page_needs_a_role(users, harbor):
    assert client_for(users["nobody"]).get(f"/companies/{harbor['company'].pk}/").status_code == 403


def test_company_names_link_to_their_page_from_the_lead_page_the_list_and_the_console(users, harbor):
    link = f'href="/companies/{harbor["company"].pk}/"'
    client = client_for(users["csr"])
    lead = harbor["cara"]
    assert link in client.get(f"/leads/{lead.pk}/").content.decode()
    assert link in client.get("/leads/", {"q": "Orr"}).content.decode()
    assert link in client.get(f"/console/caller/{lead.pk}/").content.decode()


# --- Editing the profile ----------------------------------------------------------------------------


def edit(user, company, follow=False, **data):
    fields = {"industry_code": "", "size_band": "", "head_count": "", "city": "", "region": "", "country": ""}
    data = {**fields, "postal_code": "", **data}
    return client_for(user).post(f"/companies/{company.pk}/edit/", data, follow=follow)


def test_a_salesperson_may_not_edit_a_companys_profile(users, harbor):
    company = harbor["company"]
    assert client_for(users["sales"]).get(f"/companies/{company.pk}/edit/").status_code == 403
    assert edit(users["sales"], company, size_band="10-49").status_code == 403
    company.refresh_from_db()
    assert company.size_band == ""


def test_an_edit_with_errors_names_each_field_and_changes_nothing(users, harbor):
    company = harbor["company"]
    response = edit(users["csr"], company, industry_code="plumbing", country="U1", head_count="1200", size_band="10-49")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved" in html
    assert "Type the NAICS or SIC code as digits" in html
    assert "Type the country&#x27;s two-letter code" in html
    assert "1,200 people is not 10–49 employees: choose 1,000+ employees." in html  # told all at once
    company.refresh_from_db()
    assert (company.industry_code, company.size_band, company.head_count) == ("488510", "", None)
    update_company(company_id=company.pk, size_band="10-49")
    with pytest.raises(ValidationError) as band:
        update_company(company_id=company.pk, head_count=1200)  # against the band it has
    assert band.value.message_dict == {"size_band": ["1,200 people is not 10–49 employees: choose 1,000+ employees."]}
    company.refresh_from_db()
    assert company.head_count is None
    assert not ScoreChange.objects.filter(reason__startswith="Company profile").exists()


def test_an_edit_rescores_the_companys_open_leads_and_can_make_one_sales_ready(users, harbor):
    company, cara, ben, ana = harbor["company"], harbor["cara"], harbor["ben"], harbor["ana"]
    assert (cara.score, cara.stage) == (55, Stage.INQUIRY)
    response = edit(
        users["marketing"], company, follow=True, industry_code="488510", city="Tacoma", region="WA", head_count="30"
    )
    assert response.redirect_chain == [(f"/companies/{company.pk}/", 302)]
    company.refresh_from_db()
    assert (company.size_band, company.head_count) == ("10-49", 30)  # the band follows the head count
    cara.refresh_from_db()
    assert (cara.score, cara.stage) == (60, Stage.SALES_READY)  # +5: the size of our best customers
    change = ScoreChange.objects.filter(lead=cara).latest("changed_at")
    assert (change.old_score, change.new_score) == (55, 60)
    assert change.reason == "Company profile changed: size band, head count"
    promotion = StageChange.objects.get(lead=cara, to_stage=Stage.SALES_READY)
    assert (promotion.changed_by, promotion.reason) == (
        users["marketing"],  # who corrected the profile, not "the rules"
        "Company profile changed: size band, head count, so score 60 meets the rules of engagement",
    )
    ben.refresh_from_db()
    assert ben.score == 65  # open: rescored
    ana.refresh_from_db()
    assert ana.score == 100 and not ScoreChange.objects.filter(lead=ana, reason__startswith="Company").exists()
    html = response.content.decode()
    assert "Saved: size band, head count. 2 open leads rescored." in html
    assert "Company profile changed: size band, head count" in section(html, "timeline")


def test_saving_the_same_facts_changes_and_rescores_nothing(users, harbor):
    company = harbor["company"]
    response = edit(users["manager"], company, follow=True, industry_code="488510", city="Tacoma", region="WA")
    assert response.redirect_chain == [(f"/companies/{company.pk}/", 302)]
    assert not ScoreChange.objects.filter(reason__startswith="Company profile").exists()
    assert "Nothing changed." in response.content.decode()


# --- The services ----------------------------------------------------------------------------------


def test_update_company_stores_facts_the_way_the_rules_name_them(harbor):
    company = harbor["company"]
    updated, changed = update_company(company_id=company.pk, industry_code=" 238 220 ", country="ca", city=" Halifax ")
    assert (updated.industry_code, updated.country, updated.city) == ("238220", "CA", "Halifax")
    assert changed == ["industry_code", "city", "country"]


def test_update_company_refuses_bad_facts_with_every_reason_and_writes_nothing(harbor):
    company = harbor["company"]
    with pytest.raises(ValidationError) as refused:
        update_company(
            company_id=company.pk,
            region="WA\nBcc: x",
            head_count=0,
            size_band="huge",
            name="Other",
        )
    assert set(refused.value.message_dict) == {"name"}  # an unknown field first, on its own
    with pytest.raises(ValidationError) as refused:
        update_company(company_id=company.pk, region="WA\nBcc: x", head_count=0, size_band="huge")
    assert set(refused.value.message_dict) == {"region", "head_count", "size_band"}
    company.refresh_from_db()
    assert (company.region, company.head_count, company.size_band) == ("WA", None, "")


def test_edit_company_profile_rescores_only_open_leads_in_one_go(harbor):
    edit = edit_company_profile(company_id=harbor["company"].pk, size_band="10-49")
    assert edit.changed == ["size_band"] and edit.rescored == 2  # Ben and Cara; Ana is won
    assert Lead.objects.get(pk=harbor["cara"].pk).stage == Stage.SALES_READY
    again = edit_company_profile(company_id=harbor["company"].pk, size_band="10-49")
    assert again.changed == [] and again.rescored == 0
