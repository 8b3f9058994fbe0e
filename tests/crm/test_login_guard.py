"""Guessing passwords is throttled on every way in: per user name and per client address."""

import pytest
from django.test import Client

from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _browser_login(client, username, password, path="/login/"):
    return client.post(path, {"username": username, "password": password})


def test_the_browser_login_locks_a_user_name_after_five_failures(users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USERNAME):
        response = _browser_login(client, "csr1", "wrong")
        assert response.status_code == 200 and b"Please enter a correct username" in response.content
    locked = _browser_login(client, "csr1", DEMO_PASSWORD)
    assert locked.status_code == 200
    assert b"Too many failed log-ins" in locked.content
    assert "_auth_user_id" not in client.session
    # Another person on the same network is not locked out by it.
    assert _browser_login(Client(), "sales1", DEMO_PASSWORD).status_code == 302


def test_the_lock_out_ignores_the_case_of_the_user_name(users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USERNAME):
        _browser_login(client, "CSR1", "wrong")
    assert b"Too many failed log-ins" in _browser_login(client, "csr1", DEMO_PASSWORD).content


def test_one_address_trying_many_user_names_is_locked_out(users, settings):
    settings.CRM_LOGIN_FAILURES_PER_ADDRESS = 4
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a", "b", "c", "d"):
        _browser_login(client, name, "wrong")
    assert b"Too many failed log-ins" in _browser_login(client, "sales1", DEMO_PASSWORD).content
    assert _browser_login(Client(REMOTE_ADDR="203.0.113.10"), "sales1", DEMO_PASSWORD).status_code == 302


def test_the_admin_login_is_guarded_too(users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USERNAME):
        _browser_login(client, "manager1", "wrong", path="/admin/login/")
    locked = _browser_login(client, "manager1", DEMO_PASSWORD, path="/admin/login/")
    assert locked.status_code == 200 and b"Too many failed log-ins" in locked.content


def test_the_token_endpoint_counts_failures_and_answers_429_with_retry_after(users, api_as, settings):
    client = api_as(None)
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USERNAME):
        assert (
            client.post("/api/v1/auth/token/", {"username": "csr1", "password": "x"}, format="json").status_code == 400
        )
    locked = client.post("/api/v1/auth/token/", {"username": "csr1", "password": DEMO_PASSWORD}, format="json")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed log-ins" in locked.json()["detail"]


def test_failures_on_the_token_endpoint_lock_the_browser_login_as_well(users, api_as, settings):
    client = api_as(None)
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USERNAME):
        client.post("/api/v1/auth/token/", {"username": "csr1", "password": "x"}, format="json")
    assert b"Too many failed log-ins" in _browser_login(Client(), "csr1", DEMO_PASSWORD).content


def test_the_token_endpoint_keeps_its_rate_limit(users, api_as, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 6_000_030.0)
    client = api_as(None)
    answers = [
        client.post("/api/v1/auth/token/", {"username": "csr1", "password": DEMO_PASSWORD}, format="json").status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
