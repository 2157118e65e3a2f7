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
