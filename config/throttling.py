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


def _shared_hits(windows: list[tuple[str, int]], amount: int = 1) -> list[int]:
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=False)  # each INCR is atomic; no MULTI/EXEC needed
        for key, ttl in windows:
            pipe.incrby(_full_key(key), amount)
            pipe.expire(_full_key(key), ttl, nx=True)
        return pipe.execute()[::2]
    counts = []
    for key, ttl in windows:
        cache.add(key, 0, ttl)
        counts.append(cache.incr(key, amount))
    return counts


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
    return hit_all([(key, ttl)], amount)[0]


def hit_all(windows: list[tuple[str, int]], amount: int = 1) -> list[int]:
    """`hit` for several (key, ttl) at once, in one round trip to Redis; the counts, in order."""
    if time.monotonic() < _down_until:
        return [_local_hit(key, ttl, amount) for key, ttl in windows]
    try:
        counts = _shared_hits(windows, amount)
    except Exception as exc:  # redis.RedisError, OSError, a cache backend's own errors
        _cache_failed(exc)
        return [_local_hit(key, ttl, amount) for key, ttl in windows]
    _cache_answered()
    return counts


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

    def window(self, request, view) -> tuple[str, int] | None:
        """The (counter key, ttl) this request counts under; None when it is not throttled."""
        if self.rate is None:
            return None
        ident = self.get_cache_key(request, view)
        if ident is None:
            return None
        key, self.retry_after = window_key(ident, self.duration, self.timer())
        return key, self.duration + 1

    def allow_request(self, request, view):
        window = self.window(request, view)
        return window is None or hit(*window) <= self.num_requests

    def wait(self):
        return self.retry_after


def refusals(throttles: list, request, view) -> list[float | None]:
    """The waits of those of `throttles` that refuse this request, as DRF's check_throttles
    counts them (every throttle, none skipped), with the counters of every FixedWindowThrottle
    hit in one round trip."""
    fixed = [throttle for throttle in throttles if isinstance(throttle, FixedWindowThrottle)]
    windows = [(throttle, throttle.window(request, view)) for throttle in fixed]
    counted = [(throttle, window) for throttle, window in windows if window is not None]
    counts = hit_all([window for _throttle, window in counted]) if counted else []
    refused = {throttle for (throttle, _), count in zip(counted, counts, strict=True) if count > throttle.num_requests}
    waits = []
    for throttle in throttles:
        if throttle in refused or (throttle not in fixed and not throttle.allow_request(request, view)):
            waits.append(throttle.wait())
    return waits
