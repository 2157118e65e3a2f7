"""The moving-window limiter: per key, in memory or in the real Redis, memory when Redis is down."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest

from lumiere.config import reset_settings
from lumiere.core.errors import RateLimited
from lumiere.services import rate_limits
from lumiere.services.rate_limits import RateLimit, enforce, hit


@pytest.fixture(autouse=True)
def _fresh(monkeypatch) -> Iterator[None]:
    monkeypatch.delenv("LUMIERE_REDIS_URL", raising=False)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    reset_settings()
    rate_limits.reset()
    yield
    rate_limits.reset()
    reset_settings()


def _use_redis(monkeypatch, url: str) -> None:
    monkeypatch.setenv("LUMIERE_REDIS_URL", url)
    monkeypatch.setenv("LUMIERE_JOB_QUEUE_NAME", f"lumiere_test_{secrets.token_hex(6)}")  # its own Redis keys
    reset_settings()
    rate_limits.reset()


def test_a_key_gets_its_limit_then_a_wait_and_other_keys_are_apart() -> None:
    limit = RateLimit("unit", 3)
    assert [hit("10.0.0.1", limit) for _ in range(3)] == [None, None, None]
    wait = hit("10.0.0.1", limit)
    assert wait is not None and 1 <= wait <= 60
    assert hit("10.0.0.2", limit) is None
    assert hit("10.0.0.1", RateLimit("another", 3)) is None


def test_enforce_raises_429_with_the_seconds_to_wait() -> None:
    limit = RateLimit("unit-enforce", 1)
    enforce("a", limit)
    with pytest.raises(RateLimited) as limited:
        enforce("a", limit)
    assert limited.value.status_code == 429 and 1 <= limited.value.extra["retry_after"] <= 60


def test_counts_are_shared_through_redis(monkeypatch) -> None:
    _use_redis(monkeypatch, "redis://127.0.0.1:6379/0")
    limit, key = RateLimit("unit-redis", 2), secrets.token_hex(8)
    assert [hit(key, limit) for _ in range(2)] == [None, None]
    rate_limits.reset()  # a new limiter (another worker) sees the same counts
    assert hit(key, limit) is not None


def test_redis_down_falls_back_to_memory_with_a_warning(monkeypatch, caplog) -> None:
    _use_redis(monkeypatch, "redis://127.0.0.1:1/0")
    limit = RateLimit("unit-down", 1)
    with caplog.at_level(logging.WARNING, logger="lumiere.services.rate_limits"):
        assert hit("k", limit) is None
    assert "Redis cannot be reached" in caplog.text
    assert hit("k", limit) is not None  # counted in memory from then on


def test_redis_is_tried_again_after_the_pause(monkeypatch, caplog) -> None:
    _use_redis(monkeypatch, "redis://127.0.0.1:1/0")
    limit, key = RateLimit("unit-retry", 5), secrets.token_hex(8)
    with caplog.at_level(logging.WARNING, logger="lumiere.services.rate_limits"):
        assert hit(key, limit) is None  # Redis down: memory
    monkeypatch.setenv("LUMIERE_REDIS_URL", "redis://127.0.0.1:6379/0")  # Redis back (here: at its address)
    reset_settings()
    monkeypatch.setattr(rate_limits, "REDIS_RETRY_S", 0.0)
    assert hit(key, limit) is None
    rate_limits.reset()  # a new limiter that only knows Redis sees the hit made after the pause
    assert [hit(key, limit) for _ in range(4)] == [None, None, None, None]
    assert hit(key, limit) is not None


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [(0, "203.0.113.9", "10.1.1.1"), (1, "203.0.113.9", "203.0.113.9"), (1, "1.1.1.1, 203.0.113.9", "203.0.113.9"),
     (2, "1.1.1.1, 203.0.113.9", "1.1.1.1"), (2, "203.0.113.9", "10.1.1.1"), (1, None, "10.1.1.1")],
)
def test_the_client_address_believes_forwarded_for_only_behind_trusted_proxies(
    monkeypatch, hops: int, forwarded: str | None, expected: str
) -> None:
    monkeypatch.setenv("LUMIERE_TRUSTED_PROXY_HOPS", str(hops))
    reset_settings()
    assert rate_limits.client_address("10.1.1.1", forwarded) == expected
    assert rate_limits.client_address(None) == "unknown"


def test_questions_use_the_plan_and_the_setting_when_the_plan_has_none(db_session, monkeypatch) -> None:
    from lumiere.services.auth import register_user
    from lumiere.services.plans import create_plan

    monkeypatch.setenv("LUMIERE_RATE_LIMIT_QUESTIONS_PER_MINUTE", "7")
    monkeypatch.setenv("LUMIERE_RATE_LIMIT_DEFAULT_PER_MINUTE", "9")
    reset_settings()
    user = register_user(db_session, email="rl@example.com", password="correct horse", name="R")
    assert rate_limits.user_limit(db_session, user, rate_limits.Group.QUESTIONS).amount == 60  # free's seeded value
    assert rate_limits.user_limit(db_session, user, rate_limits.Group.DEFAULT).amount == 9
    create_plan(db_session, name="open", title="Open", limits={})
    user.plan = "open"
    assert rate_limits.user_limit(db_session, user, rate_limits.Group.QUESTIONS).amount == 7
    for _ in range(7):
        rate_limits.enforce_user(db_session, user, rate_limits.Group.QUESTIONS)
    with pytest.raises(RateLimited, match="at most 7 a minute"):
        rate_limits.enforce_user(db_session, user, rate_limits.Group.QUESTIONS)
    rate_limits.enforce_user(db_session, user, rate_limits.Group.DEFAULT)  # the other group is apart
