"""Moving-window rate limits, shared by the REST routes and the pages.

Who is counted, and where it is checked:
- a signed-in user per endpoint group: questions (ask, chat, SQL runs) at the plan's
  `requests_per_minute`, everything else at a generous setting. The API checks it in its user
  dependencies (api/deps.py); the pages in `AuthState._call_service`, the one way every handler
  calls a service, because websocket events never pass through HTTP middleware;
- a client address for public share links and for registrations (each attempt costs a bcrypt hash);
- failed sign-ins per account and per address: counted on failure only, and once over the limit
  even the right password waits, so guessing stays bounded.

Counts live in Redis when `settings.redis_url` is set, so every worker and instance sees the same
counts, and in this process's memory otherwise. When Redis cannot be reached the limiter says so
in the log and counts in memory, trying Redis again after REDIS_RETRY_S: the app must not go down
because the limiter's store did.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from lumiere.config import get_settings
from lumiere.core.errors import RateLimited
from lumiere.models import User
from lumiere.services.plans import plan_of

logger = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5
REDIS_RETRY_S = 30.0
T = TypeVar("T")


@dataclass(frozen=True)
class RateLimit:
    """`amount` hits per key in any window of `seconds`; `name` keeps each limit's counts apart."""

    name: str
    amount: int
    seconds: int = 60

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(max(self.amount, 1), self.seconds, namespace=f"lumiere:{self.name}")


class Group(StrEnum):
    """Endpoint groups a user is counted in separately."""

    QUESTIONS = "questions"  # ask, chat, SQL run, re-run: each runs a query (and maybe an LLM call)
    DEFAULT = "default"  # every other signed-in request


# Anyone with a share link may open it; this bounds what one address can make the server do.
PUBLIC_SHARE = RateLimit("public-share", 60)


class _Limiter:
    """The limiter and its store, built on first use; memory while Redis fails, Redis again after a pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiter: MovingWindowRateLimiter | None = None
        self._memory: MovingWindowRateLimiter | None = None
        self._failed_at = 0.0

    def limiter(self) -> MovingWindowRateLimiter:
        with self._lock:
            retry = self._limiter is not None and self._limiter is self._memory and get_settings().redis_url
            if self._limiter is None or (retry and time.monotonic() - self._failed_at >= REDIS_RETRY_S):
                self._limiter = MovingWindowRateLimiter(self._storage())
            return self._limiter

    def in_memory(self, error: StorageError) -> MovingWindowRateLimiter:
        with self._lock:
            if self._limiter is not self._memory or self._memory is None:
                logger.warning("Rate limits: Redis cannot be reached (%s); counting in this process's memory", error)
            if self._memory is None:
                self._memory = MovingWindowRateLimiter(MemoryStorage())
            self._limiter = self._memory
            self._failed_at = time.monotonic()
            return self._memory

    def reset(self) -> None:
        with self._lock:
            self._limiter = self._memory = None
            self._failed_at = 0.0

    @staticmethod
    def _storage() -> Storage:
        settings = get_settings()
        if not settings.redis_url:
            return MemoryStorage()
        # Counts are per user id and address: installations sharing a Redis keep them under their own name.
        return RedisStorage(
            settings.redis_url, key_prefix=f"{settings.job_queue_name}:limits", wrap_exceptions=True,
            socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S,
        )


_LIMITER = _Limiter()


def _with_limiter(call: Callable[[MovingWindowRateLimiter], T]) -> T:
    limiter = _LIMITER.limiter()
    try:
        return call(limiter)
    except StorageError as error:
        return call(_LIMITER.in_memory(error))


def _wait(limiter: MovingWindowRateLimiter, key: str, limit: RateLimit) -> float:
    reset_at = limiter.get_window_stats(limit.item, key).reset_time
    return max(reset_at - time.time(), 1.0)


def hit(key: str, limit: RateLimit) -> float | None:
    """Count one request for `key`; None when it is allowed, else the seconds to wait before the next."""

    def count(limiter: MovingWindowRateLimiter) -> float | None:
        return None if limiter.hit(limit.item, key) else _wait(limiter, key, limit)

    return _with_limiter(count)


def over(key: str, limit: RateLimit) -> float | None:
    """Like `hit` without counting: None while `key` is under the limit, else the seconds to wait."""

    def check(limiter: MovingWindowRateLimiter) -> float | None:
        return None if limiter.test(limit.item, key) else _wait(limiter, key, limit)

    return _with_limiter(check)


def _limited(wait: float | None, what: str) -> None:
    if wait is not None:
        seconds = math.ceil(wait)
        raise RateLimited(f"{what}; wait {seconds} seconds and try again.", retry_after=seconds)


def enforce(key: str, limit: RateLimit) -> None:
    """`hit`, raising 429 with the wait (the API sends it as Retry-After) when the limit is reached."""
    if get_settings().rate_limits_enabled:
        _limited(hit(key, limit), "Too many requests from your address")


def user_limit(session: Session, user: User, group: Group) -> RateLimit:
    """A user's limit in `group`: for questions the plan's requests_per_minute (the setting when the
    plan leaves it empty), for the rest the setting for other requests."""
    settings = get_settings()
    if group is Group.QUESTIONS:
        per_minute = plan_of(session, user).requests_per_minute
        return RateLimit("questions", settings.rate_limit_questions_per_minute if per_minute is None else per_minute)
    return RateLimit("requests", settings.rate_limit_default_per_minute)


def enforce_user(session: Session, user: User, group: Group) -> None:
    """Count one request of `user` in `group`; 429 with the wait once their limit is reached."""
    if not get_settings().rate_limits_enabled:
        return
    limit = user_limit(session, user, group)
    what = "questions" if group is Group.QUESTIONS else "requests"
    _limited(hit(f"user:{user.id}", limit), f"Too many {what}: at most {limit.amount} a minute")


def _login_failures() -> RateLimit:
    settings = get_settings()
    return RateLimit("login-failures", settings.login_failure_limit, settings.login_failure_window_min * 60)


def _login_keys(email: object, address: str) -> dict[str, str]:
    account = email.strip().lower() if isinstance(email, str) else ""
    return {"for this account": f"account:{account}", "from your address": f"address:{address}"}


def check_login(email: object, address: str) -> None:
    """Before a password is checked: 429 while the account or the address has too many recent failures."""
    if not get_settings().rate_limits_enabled:
        return
    limit = _login_failures()
    for where, key in _login_keys(email, address).items():
        _limited(over(key, limit), f"Too many failed sign-ins {where}")


def record_login_failure(email: object, address: str) -> None:
    """Count a failed sign-in against both the account and the address."""
    if not get_settings().rate_limits_enabled:
        return
    limit = _login_failures()
    for key in _login_keys(email, address).values():
        hit(key, limit)


def enforce_registration(address: str) -> None:
    """Count an attempt to create an account from `address`; 429 once the hourly limit is reached."""
    if get_settings().rate_limits_enabled:
        limit = RateLimit("registrations", get_settings().registrations_per_hour, 3600)
        _limited(hit(f"address:{address}", limit), "Too many new accounts from your address")


def client_address(peer: str | None, forwarded_for: str | None = None) -> str:
    """The client's address: the connection's peer, or with `trusted_proxy_hops` set (the app runs
    behind that many proxies of the operator's) the address the outermost of them saw in X-Forwarded-For;
    the header alone is never believed, since any client can send it."""
    hops = get_settings().trusted_proxy_hops
    if hops and forwarded_for:
        addresses = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return peer or "unknown"


def reset() -> None:
    """Drop the limiter, so the next hit builds it from the settings again (in memory: counts start over)."""
    _LIMITER.reset()
