"""Fixtures of the tests that run real workers (tests/integration/workers.py)."""

import pytest

from tests.conftest import require_program
from tests.integration.workers import OwnRedis, use_broker


@pytest.fixture
def broker(settings):
    """A Redis of the test's own, the workers' broker: what they leave queued goes with it."""
    require_program("redis-server")
    redis = OwnRedis().start()
    old = settings.CELERY_BROKER_URL
    use_broker(redis.url)
    try:
        yield redis
    finally:
        redis.stop()
        use_broker(old)
