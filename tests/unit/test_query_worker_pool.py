"""The query worker pool starts few processes ahead and more only when queries run at once."""

from __future__ import annotations

import time
from contextlib import ExitStack

from lumiere.config import get_settings
from lumiere.services.query_workers import PoolShape, QueryWorkerPool


def _pool(workers: int, warm: int) -> QueryWorkerPool:
    return QueryWorkerPool(PoolShape(workers, get_settings().query_worker_memory_bytes, warm))


def test_one_worker_is_warm_and_more_start_only_when_queries_overlap() -> None:
    pool = _pool(workers=3, warm=1)
    try:
        assert len(pool.pids()) == 1
        with pool.lease(time.monotonic() + 5) as first:
            assert first is not None and first.alive
        assert len(pool.pids()) == 1  # one query at a time reuses the warm worker
        with ExitStack() as held:
            leased = [held.enter_context(pool.lease(time.monotonic() + 5)) for _ in range(3)]
            assert all(worker is not None for worker in leased)
            assert len({id(worker) for worker in leased}) == 3 and len(pool.pids()) == 3
            started = time.monotonic()
            with pool.lease(time.monotonic() + 0.3) as fourth:
                assert fourth is None  # never more than `workers`: the fourth waits, then gives up
            assert time.monotonic() - started >= 0.25
        assert len(pool.pids()) == 3  # kept for the next burst
    finally:
        pool.close()


def test_no_worker_starts_ahead_with_warm_zero_and_a_dead_one_is_replaced() -> None:
    pool = _pool(workers=2, warm=0)
    try:
        assert pool.pids() == []
        with pool.lease(time.monotonic() + 5) as worker:
            assert worker is not None
            worker.process.kill()
            worker.process.wait(5)
        assert len(pool.pids()) == 1  # replaced when given back
    finally:
        pool.close()
