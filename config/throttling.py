"""A fixed-window request counter: one INCR per request instead of DRF's read-modify-write of
a timestamp list (two cache round trips, and racy under load).

With Redis configured the counter is a Redis key incremented atomically in one pipelined round
trip on a client kept per process; otherwise Django's cache (`add` then `incr`), which the
file cache of `make run` does not make atomic: close enough on one machine. A window allows at most
the rate's number of requests; across a window's edge a burst of up to twice that can pass,
which is fine for telling a busy form from a flood.
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_client


def hit(key: str, ttl: int) -> int:
    """Count one more request under `key`; returns the count in this window."""
    if settings.REDIS_URL:
        full_key = f"{settings.CACHES['default']['KEY_PREFIX']}:{key}"
        pipe = _redis().pipeline()
        pipe.incr(full_key)
        pipe.expire(full_key, ttl, nx=True)
        count, _ = pipe.execute()
        return count
    cache.add(key, 0, ttl)
    return cache.incr(key)


class FixedWindowThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted per fixed window."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.retry_after = (window + 1) * self.duration - now
        return hit(f"{ident}:{window}", ttl=self.duration + 1) <= self.num_requests

    def wait(self):
        return self.retry_after
