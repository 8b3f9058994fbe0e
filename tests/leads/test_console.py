"""The CSR's console stays true after every call, and no form does its work twice."""

import pytest

from crm.models import Submission
from leads.models import Interaction, Lead
from tests.factories import LeadFactory, lead_after, sales_ready_lead, signed_in_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def test_a_call_that_promotes_the_lead_updates_the_stage_and_refreshes_the_results(users):
    lead = lead_after("call_inbound", **FACTS)  # 50: below sales-ready until this call
    client = signed_in_client(users["csr"])
    body = {"kind": "call_outbound", "q_timeline": "this_quarter", "submission": "tok-1"}
    response = client.post(f"/leads/{lead.pk}/log/", body, **HTMX)
    html = response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == "sales_ready"
    assert 'id="lead-stage" hx-swap-oob="true" data-testid="stage">Sales-ready<' in html
    assert response["HX-Trigger"] == "lead-changed"


def test_the_same_call_form_sent_twice_logs_one_call(users):
    lead = LeadFactory()
    client = signed_in_client(users["csr"])
    body = {"kind": "call_inbound", "note": "Asked for a quote", "submission": "tok-2"}
    client.post(f"/leads/{lead.pk}/log/", body, **HTMX)
    again = client.post(f"/leads/{lead.pk}/log/", body, **HTMX)
    assert Interaction.objects.filter(lead=lead).count() == 1
    assert "already logged" in again.content.decode()
    # A new form (a new token) logs a new call.
    client.post(f"/leads/{lead.pk}/log/", body | {"submission": "tok-3"}, **HTMX)
    assert Interaction.objects.filter(lead=lead).count() == 2


def test_a_refused_call_leaves_no_token_behind_so_the_corrected_form_goes_through(users):
    lead = LeadFactory()
    client = signed_in_client(users["csr"])
    body = {"kind": "call_inbound", "offer_code": "NOSUCH", "submission": "tok-4"}
    refused = client.post(f"/leads/{lead.pk}/log/", body, **HTMX)
    assert "Nothing was logged" in refused.content.decode()
    assert not Submission.objects.filter(token="tok-4").exists()
    client.post(f"/leads/{lead.pk}/log/", body | {"offer_code": ""}, **HTMX)
    assert Interaction.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize(
    ("typed", "field", "value"),
    [
        ("555 010 4242", "id_nc_phone", "555 010 4242"),
        ("4242", "id_nc_phone", "4242"),
        ("ada@example.com", "id_nc_email", "ada@example.com"),
        ("Ortega", "id_nc_last", "Ortega"),
        ("Ada Lovelace", "id_nc_first", "Ada"),
    ],
)
def test_the_new_caller_form_takes_what_was_searched(users, typed, field, value):
    response = signed_in_client(users["csr"]).get("/console/new-caller/", {"q": typed}, **HTMX)
    html = response.content.decode()
    assert f'id="{field}"' in html and f'value="{value}"' in html
    assert 'id="new-caller-box" open' in html


def test_a_search_that_finds_nobody_offers_the_new_caller_form_with_the_number(users):
    html = signed_in_client(users["csr"]).get("/console/search/", {"q": "555 010 4242"}, **HTMX).content.decode()
    assert 'data-testid="new-caller-from-search"' in html and "New caller: 555 010 4242" in html
    page = signed_in_client(users["csr"]).get("/console/", {"q": "555 010 4242", "new": "1"}).content.decode()
    assert 'id="new-caller-box" open' in page and 'value="555 010 4242"' in page


def test_a_new_caller_is_logged_once_and_the_form_comes_back_empty(users):
    client = signed_in_client(users["csr"])
    body = {"first_name": "Nia", "last_name": "Obi", "phone": "555-010-7788", "note": "Furnace died"}
    response = client.post("/console/new-caller/", body | {"submission": "nc-1"}, **HTMX)
    html = response.content.decode()
    assert "Call logged for Nia Obi" in html
    assert 'id="new-caller-box" hx-swap-oob="true"' in html and 'value="Nia"' not in html
    assert response["HX-Trigger"] == "lead-changed"
    again = client.post("/console/new-caller/", body | {"submission": "nc-1"}, **HTMX)
    assert "already logged" in again.content.decode()
    assert Interaction.objects.count() == 1 and Lead.objects.count() == 1
    # The confirmation was shown in the console: it does not wait for the next page.
    assert "Call logged" not in client.get("/leads/").content.decode()


def test_an_empty_new_caller_form_shows_its_errors_in_the_form_once(users):
    response = signed_in_client(users["csr"]).post("/console/new-caller/", {"submission": "nc-2"}, **HTMX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#new-caller-box" and response["HX-Reswap"] == "outerHTML"
    assert html.count("<form") == 1 and 'id="err_nc_email"' in html
    assert "Give an email address or a phone number." in html
    assert not Lead.objects.exists() and not Submission.objects.exists()


def test_without_htmx_a_new_caller_lands_back_on_the_console_with_the_message(users):
    client = signed_in_client(users["csr"])
    body = {"first_name": "Nia", "last_name": "Obi", "phone": "555-010-7788"}
    response = client.post("/console/new-caller/", body, follow=True)
    assert response.redirect_chain[-1][0].startswith("/console/?q=")
    assert "Call logged for Nia Obi" in response.content.decode()


def test_the_console_shows_what_result_the_caller_wants(users):
    lead = LeadFactory(**FACTS)
    html = signed_in_client(users["csr"]).get(f"/console/caller/{lead.pk}/").content.decode()
    assert "Heat by Friday" in html


def test_the_console_finds_a_caller_by_the_last_digits_of_a_phone_and_by_company(users):
    from crm.models import Company
    from tests.factories import ContactFactory

    harbor = Company.objects.create(name="Harbor Logistics")
    LeadFactory(contact=ContactFactory(first_name="Ana", last_name="Ortega", phone="+15550104567", company=harbor))
    LeadFactory(contact=ContactFactory(first_name="Bo", last_name="Berg", phone="+15550109999"))
    client = signed_in_client(users["csr"])
    for typed in ("4567", "010-4567", "harb", "Harbor Log"):
        html = client.get("/console/search/", {"q": typed}, **HTMX).content.decode()
        assert "Ana Ortega" in html and "Bo Berg" not in html, typed
    assert "Ana Ortega" not in client.get("/console/search/", {"q": "456"}, **HTMX).content.decode()  # too few digits


def test_an_offer_code_finds_the_callers_who_came_in_on_it_newest_first_as_far_as_one_may_see(users):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ContactFactory, live_offer

    offer = live_offer("SPRING25")
    came_in = {}
    for days_ago, first, owner in ((9, "Older", None), (1, "Newer", None), (3, "Theirs", users["sales2"])):
        caller = {"offer": offer, "contact": ContactFactory(first_name=first, last_name="Caller")}
        lead = sales_ready_lead(owner=owner, **caller) if owner else LeadFactory(**caller)
        Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        came_in[first] = lead
    LeadFactory(contact=ContactFactory(first_name="Elsewhere", last_name="Caller"))  # another way in
    mine = sales_ready_lead(
        offer=offer, owner=users["sales"], contact=ContactFactory(first_name="Mine", last_name="Caller")
    )
    Lead.objects.filter(pk=mine.pk).update(created_at=timezone.now() - timedelta(days=5))

    html = signed_in_client(users["csr"]).get("/console/search/", {"q": "spring25"}, **HTMX).content.decode()
    listed = html.split('data-testid="offer-leads"')[1].split("</ul>")[0]
    assert 'data-testid="offer-hit"' in html and "Elsewhere" not in listed
    order = [listed.index(f"{first} Caller") for first in ("Newer", "Theirs", "Mine", "Older")]
    assert order == sorted(order)  # newest first
    assert f'hx-get="/console/caller/{came_in["Newer"].pk}/"' in listed  # opens the caller's panel

    theirs = signed_in_client(users["sales"]).get("/console/search/", {"q": "SPRING25"}, **HTMX).content.decode()
    listed = theirs.split('data-testid="offer-leads"')[1].split("</ul>")[0]
    assert "Mine Caller" in listed and "Theirs Caller" not in listed and "Newer Caller" not in listed


def test_no_separator_stands_alone_when_a_caller_lacks_a_phone_an_email_or_a_company(users):
    from leads.redemptions import redeem_offer
    from tests.factories import ContactFactory, live_offer

    client = signed_in_client(users["csr"])
    for contact in (
        ContactFactory(phone="", email="only.mail@example.com", company=None),
        ContactFactory(phone="+15550109911", email="", company=None),
    ):
        lead = LeadFactory(contact=contact)
        redeem_offer(offer_id=live_offer(f"CODE{lead.pk}").pk, lead_id=lead.pk, by=users["csr"])
        html = client.get(f"/console/caller/{lead.pk}/").content.decode()
        reach = html.split('<p class="reach">')[1].split("</p>")[0]
        assert "·" not in reach and "open the lead page" in reach
        assert f"deal by {users['csr'].username}" in html and "· by" not in html  # the timeline's redemption


def test_a_callback_form_sent_twice_schedules_one_callback(users):
    from datetime import timedelta

    from django.utils import timezone

    from followups.models import FollowUp

    lead = LeadFactory()
    client = signed_in_client(users["csr"])
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    body = {"callback-due_at": due, "callback-note": "Quote", "submission": "cb-1"}
    client.post(f"/leads/{lead.pk}/callback/", body, **HTMX)
    client.post(f"/leads/{lead.pk}/callback/", body, **HTMX)
    assert FollowUp.objects.filter(lead=lead, kind="callback").count() == 1
