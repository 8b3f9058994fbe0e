"""Shared fixtures. Tests needing PostgreSQL or Redis are marked and skipped (with the reason)
when those servers are not configured, unless CRM_REQUIRE_SERVICES=1, which turns a missing
server into a failure (CI)."""

import os
import shutil

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API with live_server

from tests.factories import DEMO_PASSWORD, make_user  # noqa: E402


def _postgres_reason() -> str | None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return "needs PostgreSQL: set DATABASE_URL=postgres://… (running on SQLite)"
    return None


def _redis_reason() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "needs Redis: set REDIS_URL=redis://…"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to reach it is a reason to skip
        return f"needs Redis at {url}: {exc}"
    return None


CHROMIUM = "/usr/bin/chromium"


def _browser_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"needs Debian's Chromium at {CHROMIUM}: apt-get install chromium (make test does when it can)"
    return None


def require_program(name: str) -> str:
    """The path of a program a test runs (redis-server to stop a Redis of its own mid-test).
    Missing, the test is skipped saying so, or fails under CRM_REQUIRE_SERVICES=1, where a
    skipped test would leave its part of the product unchecked without anyone noticing."""
    path = shutil.which(name)
    if path is None:
        reason = f"needs the {name} program on PATH (scripts/ensure.sh {name} installs it where it can)"
        if os.environ.get("CRM_REQUIRE_SERVICES") == "1":
            pytest.fail(f"CRM_REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def pytest_collection_modifyitems(config, items):
    reasons = {"postgres": _postgres_reason(), "redis": _redis_reason(), "browser": _browser_reason()}
    require = os.environ.get("CRM_REQUIRE_SERVICES") == "1"
    for marker, reason in reasons.items():
        if reason is None:
            continue
        wanted = [item for item in items if item.get_closest_marker(marker)]
        if not wanted:
            continue
        if require:
            raise pytest.UsageError(f"CRM_REQUIRE_SERVICES=1 but {len(wanted)} tests {reason}")
        for item in wanted:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """Tests speak plain http, as the app does behind a TLS-terminating proxy; the rest of the
    settings stay those of production."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Strong hashing costs ~0.3 s a user; tests make hundreds of users and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reports_read_in_the_test_transaction(request, settings):
    """A test's rows live in its own uncommitted transaction, which the reports alias (a second
    connection, as a replica would be) cannot see: report reads use the test's connection,
    except in the tests that ask for the alias (databases=["default", "reports"]) and commit.
    Tracking hits are written through the test's connection too, unless a test asks for their
    alias ("hits")."""
    marker = request.node.get_closest_marker("django_db")
    databases = (marker.kwargs.get("databases") if marker else None) or []
    if "reports" not in databases:
        settings.CRM_REPORTS_DATABASE = "default"
    if "hits" not in databases:  # the same for tracking hits' own alias (config/settings.py)
        settings.CRM_HITS_DATABASE = "default"


@pytest.fixture(autouse=True)
def _published_rules(request):
    """A transactional test (`transaction=True`) ends by flushing the database, data-migration
    rows included, and later tests in the same worker would find no published rule set and no
    rules of engagement: put the shipped defaults back before every database test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    transactional = marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.utils import timezone

    from leads.models import RulesOfEngagement
    from scoring.defaults import DEFAULT_DEFINITION
    from scoring.models import RuleSet

    if not RuleSet.objects.filter(status="published").exists():
        RuleSet.objects.create(
            version=1, status="published", definition=DEFAULT_DEFINITION, published_at=timezone.now()
        )
    RulesOfEngagement.objects.get_or_create(pk=1)  # the model's defaults, as migration 0012 writes them
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters must not leak from one test into the next."""
    from django.core.cache import cache

    from scoring import services as scoring_services

    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        # clear() would flush the whole Redis database, other test workers' keys included.
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
            client.delete(key)
    else:
        cache.clear()
    scoring_services._parsed_books.clear()  # tests may rewrite a version's rules in place
    from leads.engagement import end_unit_of_work

    end_unit_of_work()  # no rules of engagement read by an earlier test's request linger
    from config import throttling

    throttling._down_until = 0.0  # a test that stopped a Redis leaves no outage behind
    throttling._local_counts.clear()
    from tracking import beacons, links, views

    links.forget()  # link ids come back after a test's rollback: no destination from an earlier test
    beacons._keys.clear()
    from leads import capture

    capture._known_keys.clear()  # form key ids come back after a rollback too
    views._origins = (0.0, frozenset())
    yield


@pytest.fixture
def users(db):
    """One user per role, plus one with no role."""
    return {
        "csr": make_user("csr1", "csr"),
        "sales": make_user("sales1", "sales"),
        "sales2": make_user("sales2", "sales"),
        "marketing": make_user("marketing1", "marketing"),
        "manager": make_user("manager1", "manager"),
        "nobody": make_user("nobody1", None),
    }


@pytest.fixture
def api_as():
    """api_as(user) → a DRF APIClient authenticated with the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def form_key(db):
    """(FormKey, raw key) for capture tests."""
    from leads.capture import create_form_key

    return create_form_key(name="test website", allowed_origins=["https://shop.example.com"])


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, started with the HTTPS redirect off: SecurityMiddleware reads
    SECURE_SSL_REDIRECT once, when the server builds its handler, so a per-test override is too late."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, not a downloaded one (none can be downloaded here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


__all__ = ["DEMO_PASSWORD"]
