"""The lead pages through Django's test client: who may see what, search, escaping, logging a call.

Requests are made over HTTPS (the production settings redirect plain HTTP), so the tests run
against the same security settings as production rather than a relaxed copy.
"""

import re

import pytest
from django.test import Client

from leads.kinds import InteractionKind
from leads.models import Interaction, Lead
from tests.factories import ContactFactory, LeadFactory, sales_ready_lead

pytestmark = pytest.mark.django_db


class HttpsClient(Client):
    """The test client, speaking HTTPS like a browser in production does."""

    def generic(self, *args, **kwargs):
        kwargs["secure"] = True
        return super().generic(*args, **kwargs)


def client_for(user=None, **kwargs) -> HttpsClient:
    client = HttpsClient(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def csr_client(users):
    return client_for(users["csr"])


def log_url(lead) -> str:
    return f"/leads/{lead.pk}/log/"


NOTE = "Called about the spring letter."


def inbound_call(**extra) -> dict:
    return {"kind": InteractionKind.CALL_INBOUND, "note": NOTE, **extra}


# --- Who may see the pages --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/leads/", "/leads/1/"])
def test_pages_send_anonymous_visitors_to_the_login_page(path):
    response = client_for().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_logging_requires_login():
    lead = LeadFactory()

    response = client_for().post(log_url(lead), inbound_call())

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Interaction.objects.exists()


def test_login_page_logs_a_user_in_and_lands_on_their_home(users):
    from tests.factories import DEMO_PASSWORD

    client = client_for()
    response = client.post("/login/", {"username": "csr1", "password": DEMO_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert b'data-testid="home-followups"' in response.content


def test_login_goes_back_to_the_page_that_asked_for_it(users):
    from tests.factories import DEMO_PASSWORD

    client = client_for()
    response = client.post("/login/?next=/leads/", {"username": "csr1", "password": DEMO_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/leads/"
    assert b'id="id_q"' in response.content


def test_user_without_a_role_is_refused_with_403(users):
    lead = LeadFactory()
    client = client_for(users["nobody"])

    response = client.get("/leads/")
    assert response.status_code == 403
    assert "ask a manager" in response.content.decode()  # says why, and what to do
    assert client.get(f"/leads/{lead.pk}/").status_code == 403
    assert client.post(log_url(lead), inbound_call()).status_code == 403
    assert not Interaction.objects.exists()


def test_salesperson_cannot_open_another_salespersons_lead(users):
    lead = sales_ready_lead(owner=users["sales2"])
    logged = Interaction.objects.count()
    client = client_for(users["sales"])

    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    assert client.post(log_url(lead), inbound_call()).status_code == 404
    assert Interaction.objects.count() == logged


def test_salesperson_sees_own_leads_and_the_unowned_sales_ready_pool_only(users):
    sales = users["sales"]
    own = sales_ready_lead(owner=sales, contact=ContactFactory(first_name="Owned"))
    pool = sales_ready_lead(contact=ContactFactory(first_name="Pooled"))
    inquiry = LeadFactory(contact=ContactFactory(first_name="Inquiring"))
    theirs = sales_ready_lead(owner=users["sales2"], contact=ContactFactory(first_name="Someoneelses"))
    client = client_for(sales)

    listing = client.get("/leads/").content.decode()

    assert "Owned" in listing and "Pooled" in listing
    assert "Inquiring" not in listing and "Someoneelses" not in listing
    assert client.get(f"/leads/{own.pk}/").status_code == 200
    assert client.get(f"/leads/{pool.pk}/").status_code == 200
    assert client.get(f"/leads/{inquiry.pk}/").status_code == 404
    assert client.get(f"/leads/{theirs.pk}/").status_code == 404


# --- Finding the caller -----------------------------------------------------------------------


def test_list_search_finds_a_lead_by_name(csr_client):
    LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker"))
    LeadFactory(contact=ContactFactory(first_name="Luis", last_name="Ortega"))

    by_last = csr_client.get("/leads/", {"q": "whit"}).content.decode()
    by_full = csr_client.get("/leads/", {"q": "Dana Whi"}).content.decode()

    assert "Dana Whitaker" in by_last and "Luis Ortega" not in by_last
    assert "Dana Whitaker" in by_full and "Luis Ortega" not in by_full


DANA_PHONE = "+15550000001"


def test_list_search_finds_a_lead_by_phone_typed_in_another_format(csr_client):
    LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone=DANA_PHONE))
    LeadFactory(contact=ContactFactory(first_name="Luis", last_name="Ortega", phone="+15557770002"))

    page = csr_client.get("/leads/", {"q": "(555) 000-0001"}).content.decode()

    assert "Dana Whitaker" in page
    assert "Luis Ortega" not in page
    assert "1 lead matching" in page


def test_list_search_from_htmx_returns_only_the_rows(csr_client):
    LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker"))

    response = csr_client.get("/leads/", {"q": "Dana"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Dana Whitaker" in body
    assert "<html" not in body and 'id="id_q"' not in body


def test_list_search_with_no_match_says_so(csr_client):
    LeadFactory(contact=ContactFactory(first_name="Dana"))

    page = csr_client.get("/leads/", {"q": "Zebedee"}).content.decode()

    assert "No leads match" in page
    assert "Dana" not in page


def test_lead_list_query_count_does_not_grow_with_the_number_of_leads(csr_client, django_assert_max_num_queries):
    for _ in range(30):
        LeadFactory()

    with django_assert_max_num_queries(8):
        response = csr_client.get("/leads/")

    assert response.status_code == 200


# --- What people typed is shown, never run ----------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_a_name_with_markup_is_shown_escaped_on_the_list_and_the_lead_page(csr_client):
    contact = ContactFactory(first_name=SCRIPT, last_name="Smith")
    lead = LeadFactory(contact=contact, inquiry_reason=SCRIPT)

    for path in ("/leads/", f"/leads/{lead.pk}/"):
        page = csr_client.get(path).content.decode()
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_a_note_with_markup_is_shown_escaped_in_the_timeline(csr_client):
    lead = LeadFactory()
    markup = '<img src=x onerror="alert(1)">'

    csr_client.post(log_url(lead), inbound_call(note=markup))
    page = csr_client.get(f"/leads/{lead.pk}/").content.decode()

    assert markup not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


# --- The lead page ----------------------------------------------------------------------------


def test_lead_page_puts_why_and_what_they_want_before_the_log_form(csr_client):
    lead = LeadFactory(inquiry_reason="Furnace is 20 years old.", desired_outcome="A quiet system.")

    page = csr_client.get(f"/leads/{lead.pk}/").content.decode()

    why, want = page.index("Furnace is 20 years old."), page.index("A quiet system.")
    assert why < want < page.index("Log an interaction")
    assert "When are you planning to buy?" in page  # one select per scripted question


# --- Logging a call ---------------------------------------------------------------------------


def test_logging_a_call_with_the_form_saves_it_and_shows_the_new_score(csr_client, users):
    lead = LeadFactory()

    data = inbound_call(q_timeline="this_month", duration_minutes="4")
    response = csr_client.post(log_url(lead), data)

    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    interaction = Interaction.objects.get(lead=lead)
    assert interaction.kind == InteractionKind.CALL_INBOUND
    assert interaction.author == users["csr"]
    assert interaction.duration_seconds == 240
    assert interaction.answers == [{"question": "timeline", "answer": "this_month"}]
    lead.refresh_from_db()
    # Inbound call +50 and buying within a month +20 under the default rules.
    assert (lead.score, lead.temperature) == (70, "hot")
    page = csr_client.get(response["Location"]).content.decode()
    assert re.search(r'data-testid="score">\s*70\s*<', page)
    assert "Inbound call logged. Score 0 → 70." in page
    assert "Within a month" in page  # the answer as the CSR saw it, not its key


def test_logging_a_call_with_htmx_returns_the_refreshed_panel(csr_client):
    lead = LeadFactory()

    data = inbound_call(q_timeline="this_month")
    response = csr_client.post(log_url(lead), data, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert re.search(r'data-testid="score">\s*70\s*<', body)
    assert re.search(r'data-testid="temperature">\s*Hot\s*<', body)
    assert "Inbound call logged" in body
    assert NOTE in body  # in the timeline
    assert Interaction.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_unknown_answer_shows_a_field_error_and_logs_nothing(csr_client, htmx):
    lead = LeadFactory()
    headers = {"HX-Request": "true"} if htmx else {}

    data = inbound_call(q_timeline="next_century")
    response = csr_client.post(log_url(lead), data, headers=headers)

    body = response.content.decode()
    assert response.status_code == (200 if htmx else 400)  # htmx swaps 2xx only
    assert "Nothing was logged" in body
    assert re.search(r'id="id_q_timeline_error">\s*<p>Select a valid choice', body)
    assert 'aria-invalid="true"' in body
    assert NOTE in body  # what was typed is kept
    assert not Interaction.objects.exists()
    lead.refresh_from_db()
    assert lead.score == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_unknown_offer_code_shows_a_field_error_and_logs_nothing(csr_client, htmx):
    lead = LeadFactory()
    headers = {"HX-Request": "true"} if htmx else {}

    response = csr_client.post(log_url(lead), inbound_call(offer_code="NOPE-123"), headers=headers)

    body = response.content.decode()
    assert response.status_code == (200 if htmx else 400)
    assert re.search(r'id="id_offer_code_error">\s*<p>No offer or letter has the code', body)
    assert not Interaction.objects.exists()


def test_logging_needs_a_post(csr_client):
    lead = LeadFactory()

    assert csr_client.get(log_url(lead)).status_code == 405


def test_logging_without_a_csrf_token_is_refused(users):
    lead = LeadFactory()
    client = client_for(users["csr"], enforce_csrf_checks=True)

    response = client.post(log_url(lead), inbound_call())

    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_logging_with_the_token_from_the_page_is_accepted(users):
    lead = LeadFactory()
    client = client_for(users["csr"], enforce_csrf_checks=True)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post(
        log_url(lead),
        inbound_call(csrfmiddlewaretoken=token),
        headers={"Referer": f"https://testserver/leads/{lead.pk}/"},  # checked on HTTPS
    )

    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).interactions.count() == 1


def test_a_timeline_ignores_metadata_a_client_shaped_oddly(users, api_as):
    from tests.factories import LeadFactory, signed_in_client

    lead = LeadFactory()
    for metadata in ({"referrals": 5, "answers": "x"}, {"referrer_lead": [1]}):
        kind = "follow_up" if "referrals" in metadata else "referral"
        logged = api_as(users["csr"]).post(
            f"/api/v1/leads/{lead.pk}/interactions/", {"kind": kind, "metadata": metadata}, format="json"
        )
        assert logged.status_code == 201
    assert signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/").status_code == 200
