"""Fixed-window request counters: one INCR per request instead of DRF's read-modify-write of
a timestamp list (two cache round trips, and racy under load).

With Redis configured the counter is a Redis key incremented atomically in one pipelined round
trip on a client kept per process; otherwise Django's cache (`add` then `incr`), which the
file cache of `make run` does not make atomic: close enough on one machine. A window allows at most
the rate's number of requests; across a window's edge a burst of up to twice that can pass,
which is fine for telling a busy form from a flood.

When the cache cannot be reached (Redis down or restarting), counting falls back to a counter
in this process's memory and the outage is logged once: a web form keeps taking leads, and a
flood is still held back, per process, until Redis answers again.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger(__name__)

_redis_client = None
_outage_logged = False
_down_until = 0.0  # while Redis is down, skip it for a few seconds instead of waiting on every request
RETRY_AFTER_OUTAGE = 5.0
LOCAL_KEYS_MAX = 50_000
_local_counts: dict[str, tuple[int, float]] = {}  # key → (count, expires at), while the cache is down
_local_lock = threading.Lock()


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_TIMEOUTS)
    return _redis_client


def _full_key(key: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:{key}"


def _shared_hit(key: str, ttl: int, amount: int = 1) -> int:
    if settings.REDIS_URL:
        pipe = _redis().pipeline()
        pipe.incrby(_full_key(key), amount)
        pipe.expire(_full_key(key), ttl, nx=True)
        count, _ = pipe.execute()
        return count
    cache.add(key, 0, ttl)
    return cache.incr(key, amount)


def _local_hit(key: str, ttl: int, amount: int = 1) -> int:
    now = time.monotonic()
    with _local_lock:
        if len(_local_counts) > LOCAL_KEYS_MAX:
            for stale in [k for k, (_, expires) in _local_counts.items() if expires <= now]:
                del _local_counts[stale]
            for oldest in list(_local_counts)[: len(_local_counts) - LOCAL_KEYS_MAX // 2]:
                del _local_counts[oldest]  # a flood of new keys: forget the oldest half
        count, expires = _local_counts.get(key, (0, now + ttl))
        if expires <= now:
            count, expires = 0, now + ttl
        count = max(count + amount, 0)
        _local_counts[key] = (count, expires)
        return count


def _cache_failed(exc: Exception) -> None:
    global _outage_logged, _down_until
    _down_until = time.monotonic() + RETRY_AFTER_OUTAGE
    if not _outage_logged:
        _outage_logged = True
        logger.error("Throttle counters are unreachable (%s); counting in process memory until they answer", exc)


def _cache_answered() -> None:
    global _outage_logged
    if _outage_logged:
        _outage_logged = False
        logger.warning("Throttle counters answer again")


def hit(key: str, ttl: int, amount: int = 1) -> int:
    """Count one more request under `key` (or `amount` more); returns the count in this window."""
    if time.monotonic() < _down_until:
        return _local_hit(key, ttl, amount)
    try:
        count = _shared_hit(key, ttl, amount)
    except Exception as exc:  # redis.RedisError, OSError, a cache backend's own errors
        _cache_failed(exc)
        return _local_hit(key, ttl, amount)
    _cache_answered()
    return count


def unhit(key: str, ttl: int = 60) -> None:
    """Take one count back (a log-in attempt that turned out to be the right password)."""
    hit(key, ttl, amount=-1)


def window_key(ident: str, seconds: int, now: float | None = None) -> tuple[str, float]:
    """The key of the current fixed window for `ident`, and the seconds until it ends."""
    now = time.time() if now is None else now
    window = int(now // seconds)
    return f"{ident}:{window}", (window + 1) * seconds - now


def client_address(request) -> str:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or the address the
    trusted proxies (NUM_PROXIES) put in X-Forwarded-For."""
    return BaseThrottle().get_ident(request)


class FixedWindowThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted per fixed window."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        key, self.retry_after = window_key(ident, self.duration, self.timer())
        return hit(key, ttl=self.duration + 1) <= self.num_requests

    def wait(self):
        return self.retry_after
