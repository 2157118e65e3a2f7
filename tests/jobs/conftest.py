"""Fixtures for the job queue: an embedded worker (real Huey on SQLite, real threads) and scheduled queries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lumiere.jobs import EmbeddedWorker, reset_job_queues


@pytest.fixture
def worker(app_db: str) -> Iterator[EmbeddedWorker]:
    """Worker threads and the scheduler clock in this process, on the test's data dir and database."""
    reset_job_queues()
    running = EmbeddedWorker()
    running.start()
    yield running
    running.stop()
    reset_job_queues()


@pytest.fixture
def client(app_db: str) -> TestClient:
    """The REST API, for the links in emails (stop, download)."""
    from lumiere.api import create_api

    return TestClient(create_api(), raise_server_exceptions=False)
