"""Guessing passwords is throttled on every way in: per user name and per client address."""

import pytest
from django.test import Client

from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _browser_login(client, username, password, path="/login/"):
    return client.post(path, {"username": username, "password": password})


def test_the_browser_login_locks_a_user_name_after_five_failures(users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS):
        response = _browser_login(client, "csr1", "wrong")
        assert response.status_code == 200 and b"Please enter a correct username" in response.content
    locked = _browser_login(client, "csr1", DEMO_PASSWORD)
    assert locked.status_code == 200
    assert b"Too many failed log-ins" in locked.content
    assert "_auth_user_id" not in client.session
    # Another person on the same network is not locked out by it.
    assert _browser_login(Client(), "sales1", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize("spelling", ["CSR1", "\uff43\uff53\uff52\uff11"])  # upper case, full-width
def test_the_lock_out_counts_every_spelling_of_a_user_name_as_one(spelling, users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS):
        _browser_login(client, "csr1", "wrong")
    assert b"Too many failed log-ins" in _browser_login(client, spelling, DEMO_PASSWORD).content
    assert "_auth_user_id" not in client.session


def test_someone_elsewhere_is_not_locked_out_by_a_strangers_few_tries(users, settings):
    stranger = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS + 1):
        _browser_login(stranger, "csr1", "wrong")
    assert _browser_login(Client(REMOTE_ADDR="198.51.100.7"), "csr1", DEMO_PASSWORD).status_code == 302


def test_one_user_name_guessed_from_many_addresses_is_locked_everywhere(users, settings):
    settings.CRM_LOGIN_FAILURES_PER_USERNAME = 6
    for i in range(6):
        _browser_login(Client(REMOTE_ADDR=f"203.0.113.{i}"), "csr1", "wrong")
    assert (
        b"Too many failed log-ins" in _browser_login(Client(REMOTE_ADDR="198.51.100.7"), "csr1", DEMO_PASSWORD).content
    )


def test_right_passwords_do_not_count_towards_a_lock_out(users, settings):
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS + 3):
        client = Client()
        assert _browser_login(client, "csr1", DEMO_PASSWORD).status_code == 302


def test_one_address_trying_many_user_names_is_locked_out(users, settings):
    settings.CRM_LOGIN_FAILURES_PER_ADDRESS = 4
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a", "b", "c", "d"):
        _browser_login(client, name, "wrong")
    assert b"Too many failed log-ins" in _browser_login(client, "sales1", DEMO_PASSWORD).content
    assert _browser_login(Client(REMOTE_ADDR="203.0.113.10"), "sales1", DEMO_PASSWORD).status_code == 302


def test_the_admin_login_is_guarded_too(users, settings):
    client = Client()
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS):
        _browser_login(client, "manager1", "wrong", path="/admin/login/")
    locked = _browser_login(client, "manager1", DEMO_PASSWORD, path="/admin/login/")
    assert locked.status_code == 200 and b"Too many failed log-ins" in locked.content


def test_the_token_endpoint_counts_failures_and_answers_429_with_retry_after(users, api_as, settings):
    client = api_as(None)
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS):
        assert (
            client.post("/api/v1/auth/token/", {"username": "csr1", "password": "x"}, format="json").status_code == 400
        )
    locked = client.post("/api/v1/auth/token/", {"username": "csr1", "password": DEMO_PASSWORD}, format="json")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed log-ins" in locked.json()["detail"]


def test_failures_on_the_token_endpoint_lock_the_browser_login_as_well(users, api_as, settings):
    client = api_as(None)
    for _ in range(settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS):
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
