"""Who may call which endpoint: every API endpoint × every role (plus no role, and anonymous)."""

import pytest

from leads.kinds import Stage
from tests.factories import LeadFactory

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
def test_me_answers_any_signed_in_user(role, users, api_as):
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
        assert response.json() == {"id": users[role].pk, "username": users[role].username, "roles": expected_roles}


@pytest.mark.parametrize("role", ROLES)
def test_capture_takes_a_form_key_not_a_user_token(role, users, api_as):
    response = client_for(role, users, api_as).post("/api/v1/capture/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("method,url,body", LEAD_ENDPOINTS)
def test_sales_reaches_own_leads_and_the_pool_but_not_a_colleagues(method, url, body, users, api_as):
    own = LeadFactory(stage=Stage.SALES_READY, owner=users["sales"])
    pool = LeadFactory(stage=Stage.SALES_READY, owner=None)
    colleagues = LeadFactory(stage=Stage.SALES_READY, owner=users["sales2"])
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
    lead = LeadFactory(stage=Stage.SALES_READY, score=70, inquiry_reason="x", desired_outcome="y")
    if body == "owner":
        body = {"owner": users["sales"].pk}
    status = call(client_for(role, users, api_as), method, url.format(id=lead.pk), body).status_code
    want = {**expected, "nobody": 403, "anonymous": 401}[role]
    if want == 2:
        assert 200 <= status < 300
    else:
        assert status == want
