"""A Redis that goes down mid-day loses no web-form lead: the throttles count in process memory
until it answers again, and every other endpoint keeps working. The test starts its own Redis
on a free port and stops it half way."""

import time

import pytest
from django.db import transaction

from leads.models import Lead
from notifications.models import Notification
from outbox.models import Email
from tests.conftest import require_program
from tests.factories import sales_ready_lead
from tests.integration.workers import OwnRedis, use_broker

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def own_redis(settings):
    """A Redis of this test's own, wired in as the cache, the throttle counters and the broker;
    the fixture's value stops it."""
    from config import throttling

    require_program("redis-server")
    redis = OwnRedis().start()
    settings.REDIS_URL = redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": settings.REDIS_TIMEOUTS,
        }
    }
    throttling._redis_client = None
    throttling._local_counts.clear()
    throttling._down_until = 0.0
    old_broker = settings.CELERY_BROKER_URL
    use_broker(redis.url)
    try:
        yield redis.stop
    finally:
        redis.stop()
        throttling._redis_client = None
        throttling._local_counts.clear()
        throttling._down_until = 0.0
        use_broker(old_broker)


def _capture(api_as, raw_key, email):
    return api_as(None).post(
        "/api/v1/capture/", {"email": email, "message": "Quote please"}, format="json", HTTP_X_FORM_KEY=raw_key
    )


def test_web_form_leads_keep_coming_in_while_redis_is_down(own_redis, api_as, form_key, users, caplog):
    _row, raw_key = form_key
    assert _capture(api_as, raw_key, "before@example.com").status_code == 201

    own_redis()  # Redis goes down
    started = time.monotonic()
    for i in range(5):
        assert _capture(api_as, raw_key, f"during{i}@example.com").status_code == 201
    assert time.monotonic() - started < 5, "a request must not hang on the dead cache"

    assert Lead.objects.filter(contact__email__startswith="during").count() == 5
    outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_lines) == 1, "the outage is logged once, not once a request"


def test_the_throttle_still_holds_back_a_flood_while_redis_is_down(own_redis, api_as, form_key, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"capture_key": "100/min", "capture_ip": "3/min"})
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 6_000_030.0)  # mid-window
    _row, raw_key = form_key
    own_redis()
    answers = [_capture(api_as, raw_key, f"flood{i}@example.com").status_code for i in range(5)]
    assert answers == [201, 201, 201, 429, 429]


def test_tokens_pages_and_the_api_keep_working_while_redis_is_down(
    own_redis, api_as, users, django_capture_on_commit_callbacks
):
    users["sales"].email = "sales1@example.com"
    users["sales"].save()
    own_redis()
    token = api_as(None).post("/api/v1/auth/token/", {"username": "csr1", "password": "test-pass-123"}, format="json")
    assert token.status_code == 200

    from tests.factories import signed_in_client

    assert signed_in_client(users["csr"]).get("/leads/").status_code == 200
    lead = sales_ready_lead()
    manager = api_as(users["manager"])
    assert manager.get("/api/v1/leads/").status_code == 200
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            response = manager.post(f"/api/v1/leads/{lead.pk}/handover/", {"owner": users["sales"].pk}, format="json")
    assert response.status_code == 200
    assert time.monotonic() - started < 5, "queueing the e-mail gives up quickly when the broker is down"
    assert Notification.objects.filter(user=users["sales"], lead=lead).exists()
    assert Email.objects.filter(key__startswith="notification:", sent_at__isnull=True).exists()  # the sweep sends it
