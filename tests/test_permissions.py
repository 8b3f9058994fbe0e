"""Who may call which endpoint: every API endpoint × every role (plus no role, and anonymous)."""

import pytest

from leads.kinds import Stage
from tests.factories import LeadFactory, hot_lead, sales_ready_lead

pytestmark = pytest.mark.django_db

ROLES = ["csr", "sales", "marketing", "manager", "nobody", "anonymous"]

# For an unowned inquiry: sales does not see inquiries (only its own leads and the sales-ready pool).
LEAD_ENDPOINTS = [
    ("get", "/api/v1/leads/{id}/", None),
    ("patch", "/api/v1/leads/{id}/", {"desired_outcome": "Lower bills"}),
    ("get", "/api/v1/leads/{id}/interactions/", None),
    ("post", "/api/v1/leads/{id}/interactions/", {"kind": "note", "note": "hello"}),
    ("get", "/api/v1/leads/{id}/score/", None),
]
EXPECTED_ON_INQUIRY = {"csr": 2, "sales": 404, "marketing": 2, "manager": 2, "nobody": 403, "anonymous": 401}

COLLECTION_ENDPOINTS = [
    ("get", "/api/v1/leads/", None),
    ("get", "/api/v1/scoring/rules/", None),
]
EXPECTED_ON_COLLECTIONS = {"csr": 200, "sales": 200, "marketing": 200, "manager": 200, "nobody": 403, "anonymous": 401}


def call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)


def client_for(role, users, api_as):
    return api_as(None if role == "anonymous" else users[role])


@pytest.mark.parametrize("method,url,body", LEAD_ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_lead_endpoints_by_role(role, method, url, body, users, api_as):
    lead = LeadFactory(stage=Stage.INQUIRY)
    response = call(client_for(role, users, api_as), method, url.format(id=lead.pk), body)
    expected = EXPECTED_ON_INQUIRY[role]
    if expected == 2:
        assert 200 <= response.status_code < 300, response.content
    else:
        assert response.status_code == expected, response.content


@pytest.mark.parametrize("method,url,body", COLLECTION_ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_collection_endpoints_by_role(role, method, url, body, users, api_as):
    response = call(client_for(role, users, api_as), method, url, body)
    assert response.status_code == EXPECTED_ON_COLLECTIONS[role], response.content


@pytest.mark.parametrize("role", ROLES)
def test_me_answers_any_signed_in_user(role, users, api_as, settings):
    response = client_for(role, users, api_as).get("/api/v1/auth/me/")
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        expected_roles = {
            "csr": ["CSR"],
            "sales": ["Sales"],
            "marketing": ["Marketing"],
            "manager": ["Manager"],
            "nobody": [],
        }[role]
        assert response.json() == {
            "id": users[role].pk,
            "username": users[role].username,
            "roles": expected_roles,
            "time_zone": settings.TIME_ZONE,  # the company's, until they choose their own
        }


@pytest.mark.parametrize("role", ROLES)
def test_capture_takes_a_form_key_not_a_user_token(role, users, api_as):
    response = client_for(role, users, api_as).post("/api/v1/capture/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("method,url,body", LEAD_ENDPOINTS)
def test_sales_reaches_own_leads_and_the_pool_but_not_a_colleagues(method, url, body, users, api_as):
    own = sales_ready_lead(owner=users["sales"])
    pool = sales_ready_lead()
    colleagues = sales_ready_lead(owner=users["sales2"])
    client = api_as(users["sales"])
    assert call(client, method, url.format(id=own.pk), body).status_code < 300
    assert call(client, method, url.format(id=pool.pk), body).status_code < 300
    assert call(client, method, url.format(id=colleagues.pk), body).status_code == 404


def test_token_endpoint_gives_a_token_for_the_right_password(users, api_as):
    client = api_as(None)
    good = client.post("/api/v1/auth/token/", {"username": "csr1", "password": "test-pass-123"}, format="json")
    assert good.status_code == 200 and len(good.json()["token"]) == 40
    bad = client.post("/api/v1/auth/token/", {"username": "csr1", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    me = api_as(None)
    me.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert me.get("/api/v1/auth/me/").json()["username"] == "csr1"


# Endpoints without a lead in the path: (method, url, expected per role). 2 means any 2xx.
ROLE_TABLE = [
    ("get", "/api/v1/queue/", {"csr": 403, "sales": 2, "marketing": 403, "manager": 2}),
    ("post", "/api/v1/queue/claim/", {"csr": 403, "sales": 2, "marketing": 403, "manager": 2}),
    ("get", "/api/v1/engagement/", {"csr": 2, "sales": 2, "marketing": 2, "manager": 2}),
    ("get", "/api/v1/notifications/", {"csr": 2, "sales": 2, "marketing": 2, "manager": 2}),
    ("get", "/api/v1/alerts/hot-waiting/", {"csr": 403, "sales": 403, "marketing": 403, "manager": 2}),
    ("get", "/api/v1/feedback/summary/", {"csr": 403, "sales": 403, "marketing": 2, "manager": 2}),
    ("get", "/api/v1/scoring/draft/", {"csr": 403, "sales": 403, "marketing": 2, "manager": 2}),
    ("post", "/api/v1/scoring/preview/", {"csr": 403, "sales": 403, "marketing": 2, "manager": 2}),
]


@pytest.mark.parametrize("method,url,expected", ROLE_TABLE)
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_by_role(role, method, url, expected, users, api_as):
    status = call(client_for(role, users, api_as), method, url, None).status_code
    want = {**expected, "nobody": 403, "anonymous": 401}[role]
    if want == 2:
        assert 200 <= status < 300
    else:
        assert status == want


# Sales actions on a sales-ready lead nobody owns.
SALES_ACTIONS = [
    ("post", "/api/v1/leads/{id}/claim/", None, {"csr": 403, "sales": 2, "marketing": 403, "manager": 2}),
    ("post", "/api/v1/leads/{id}/handover/", "owner", {"csr": 403, "sales": 403, "marketing": 2, "manager": 2}),
    (
        "post",
        "/api/v1/leads/{id}/close/",
        {"outcome": "dead", "reason": "test"},
        {"csr": 403, "sales": 409, "marketing": 403, "manager": 2},
    ),
    (
        "post",
        "/api/v1/leads/{id}/feedback/",
        {"rating": 3, "reason": "ok"},
        {"csr": 403, "sales": 409, "marketing": 403, "manager": 2},  # sales rates its own leads
    ),
]


@pytest.mark.parametrize("method,url,body,expected", SALES_ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_sales_actions_by_role(role, method, url, body, expected, users, api_as):
    lead = sales_ready_lead()
    if body == "owner":
        body = {"owner": users["sales"].pk}
    status = call(client_for(role, users, api_as), method, url.format(id=lead.pk), body).status_code
    want = {**expected, "nobody": 403, "anonymous": 401}[role]
    if want == 2:
        assert 200 <= status < 300
    else:
        assert status == want


# --- Visibility: a salesperson reaches a colleague's lead, or an inquiry, nowhere -----------------

EVERY_LEAD_ROUTE = [
    ("get", "/api/v1/leads/{id}/", None),
    ("patch", "/api/v1/leads/{id}/", {"desired_outcome": "x"}),
    ("get", "/api/v1/leads/{id}/interactions/", None),
    ("post", "/api/v1/leads/{id}/interactions/", {"kind": "note"}),
    ("get", "/api/v1/leads/{id}/score/", None),
    ("post", "/api/v1/leads/{id}/claim/", None),
    ("post", "/api/v1/leads/{id}/accept/", None),
    ("post", "/api/v1/leads/{id}/close/", {"outcome": "dead", "reason": "x"}),
    ("post", "/api/v1/leads/{id}/feedback/", {"rating": 3, "reason": "x"}),
    ("post", "/api/v1/offers/{offer}/redeem/", {"lead": "{id}"}),
]
EVERY_LEAD_PAGE = [
    ("get", "/leads/{id}/"),
    ("post", "/leads/{id}/log/"),
    ("post", "/leads/{id}/claim/"),
    ("post", "/leads/{id}/close/"),
    ("post", "/leads/{id}/feedback/"),
    ("get", "/console/caller/{id}/"),
]


@pytest.fixture
def live_offer():
    from django.utils import timezone

    from campaigns.models import Campaign, Offer

    now = timezone.now()
    return Offer.objects.create(
        campaign=Campaign.objects.create(name="Spring"),
        code="SPRING25",
        headline="25% off",
        starts_at=now,
        deadline=now.replace(year=now.year + 1),
        launched_at=now,
    )


@pytest.mark.parametrize("hidden", ["inquiry", "colleagues"])
@pytest.mark.parametrize("method,url,body", EVERY_LEAD_ROUTE)
def test_sales_reaches_a_hidden_lead_through_no_endpoint(hidden, method, url, body, users, api_as, live_offer):
    lead = (
        hot_lead(inquiry_reason="x")  # 70, an inquiry until the result they want is recorded
        if hidden == "inquiry"
        else sales_ready_lead(owner=users["sales2"])
    )
    if body and body.get("lead") == "{id}":
        body = {"lead": lead.pk}
    response = call(api_as(users["sales"]), method, url.format(id=lead.pk, offer=live_offer.pk), body)
    assert response.status_code == 404, response.content
    live_offer.refresh_from_db()
    assert live_offer.redeemed == 0


@pytest.mark.parametrize("method,url", EVERY_LEAD_PAGE)
def test_sales_reaches_a_hidden_lead_through_no_page(method, url, users):
    from tests.factories import signed_in_client

    lead = sales_ready_lead(owner=users["sales2"])
    page = signed_in_client(users["sales"])
    response = getattr(page, method)(url.format(id=lead.pk))
    assert response.status_code == 404


def test_caller_search_shows_a_salesperson_only_the_people_behind_leads_they_may_see(users, api_as):
    from tests.factories import ContactFactory

    ortega = {name: ContactFactory(last_name="Ortega", first_name=name) for name in ("Own", "Pool", "Inq", "Theirs")}
    sales_ready_lead(contact=ortega["Own"], owner=users["sales"])
    sales_ready_lead(contact=ortega["Pool"])
    LeadFactory(contact=ortega["Inq"], stage=Stage.INQUIRY)
    sales_ready_lead(contact=ortega["Theirs"], owner=users["sales2"])

    def names(user):
        rows = api_as(user).get("/api/v1/callers/?q=Ortega").json()["results"]
        return sorted(row["name"].split()[0] for row in rows)

    assert names(users["sales"]) == ["Own", "Pool"]
    assert names(users["csr"]) == ["Inq", "Own", "Pool", "Theirs"]


def test_the_console_search_shows_a_salesperson_only_leads_they_may_see(users):
    from tests.factories import ContactFactory, signed_in_client

    contact = ContactFactory(last_name="Ortega", email="ortega@example.com")
    theirs = sales_ready_lead(contact=contact, owner=users["sales2"])
    page = signed_in_client(users["sales"])
    html = page.get("/console/search/?q=Ortega&pick=1").content.decode()
    assert "ortega@example.com" not in html and f"/leads/{theirs.pk}/" not in html
    assert "ortega@example.com" in signed_in_client(users["csr"]).get("/console/search/?q=Ortega").content.decode()


def test_a_salesperson_takes_no_new_callers_in_the_console(users):
    from tests.factories import signed_in_client

    page = signed_in_client(users["sales"])
    assert b"New caller" not in page.get("/console/").content
    assert page.post("/console/new-caller/", {"phone": "555 010 1234"}).status_code == 403
