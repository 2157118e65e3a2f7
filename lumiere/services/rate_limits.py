"""Moving-window rate limits, shared by the REST routes and the pages.

A limit is counted per key (for public pages: the client's address) in Redis when
`settings.redis_url` is set, so that every worker and instance sees the same counts, and in this
process's memory otherwise. When Redis cannot be reached the limiter says so once in the log and
counts in memory: a public page must not go down because the limiter's store did.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from lumiere.config import get_settings
from lumiere.core.errors import RateLimited

logger = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class RateLimit:
    """`per_minute` hits per key in any 60-second window; `name` keeps each limit's counts apart."""

    name: str
    per_minute: int

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerMinute(self.per_minute, namespace=f"lumiere:{self.name}")


# Anyone with a share link may open it; this bounds what one address can make the server do.
PUBLIC_SHARE = RateLimit("public-share", 60)


class _Limiter:
    """The limiter and its store, built on first use; memory from the moment Redis fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiter: MovingWindowRateLimiter | None = None
        self._memory: MovingWindowRateLimiter | None = None

    def limiter(self) -> MovingWindowRateLimiter:
        with self._lock:
            if self._limiter is None:
                self._limiter = MovingWindowRateLimiter(self._storage())
            return self._limiter

    def in_memory(self) -> MovingWindowRateLimiter:
        with self._lock:
            if self._memory is None:
                self._memory = MovingWindowRateLimiter(MemoryStorage())
            self._limiter = self._memory
            return self._memory

    def reset(self) -> None:
        with self._lock:
            self._limiter = self._memory = None

    @staticmethod
    def _storage() -> Storage:
        url = get_settings().redis_url
        if not url:
            return MemoryStorage()
        return RedisStorage(
            url, wrap_exceptions=True, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )


_LIMITER = _Limiter()


def hit(key: str, limit: RateLimit) -> float | None:
    """Count one request for `key`; None when it is allowed, else the seconds to wait before the next."""
    try:
        return _counted(_LIMITER.limiter(), key, limit)
    except StorageError as error:
        logger.warning("Rate limits: Redis cannot be reached (%s); counting in this process's memory", error)
        return _counted(_LIMITER.in_memory(), key, limit)


def _counted(limiter: MovingWindowRateLimiter, key: str, limit: RateLimit) -> float | None:
    if limiter.hit(limit.item, key):
        return None
    reset_at = limiter.get_window_stats(limit.item, key).reset_time
    return max(reset_at - time.time(), 1.0)


def enforce(key: str, limit: RateLimit) -> None:
    """`hit`, raising 429 with the wait (the API sends it as Retry-After) when the limit is reached."""
    wait = hit(key, limit)
    if wait is not None:
        seconds = math.ceil(wait)
        raise RateLimited(
            f"Too many requests from your address; wait {seconds} seconds and try again.", retry_after=seconds
        )


def reset() -> None:
    """Drop the limiter, so the next hit builds it from the settings again (in memory: counts start over)."""
    _LIMITER.reset()
