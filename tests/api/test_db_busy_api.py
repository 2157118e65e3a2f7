"""A write that finds the SQLite app database locked past the wait is a 503 that says to try again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import make_url

from lumiere.config import reset_settings
from lumiere.db import engine_for


@contextmanager
def app_database_settings(monkeypatch: pytest.MonkeyPatch, app_db: str, **settings: str) -> Iterator[None]:
    """The app database's engine rebuilt under these settings, and rebuilt without them afterwards."""
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    engine_for.cache_clear()
    try:
        yield
    finally:
        for name in settings:
            monkeypatch.delenv(name)
        reset_settings()
        engine_for(app_db).dispose()
        engine_for.cache_clear()


def test_a_locked_database_is_a_503_with_a_message_never_a_500(client, make_user, app_db, monkeypatch) -> None:
    if not app_db.startswith("sqlite"):
        pytest.skip("SQLite's single writer")
    user = make_user()
    with app_database_settings(monkeypatch, app_db, LUMIERE_DB_LOCK_WAIT_S="0.3"):
        other = sqlite3.connect(str(make_url(app_db).database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process (a CLI, a job worker) is writing
        try:
            response = client.post("/api/data/sample", headers=user["headers"])
            assert response.status_code == 503, response.text
            assert "try again" in response.json()["detail"]
        finally:
            other.rollback()
            other.close()
    assert client.post("/api/data/sample", headers=user["headers"]).status_code == 201


def test_no_free_connection_within_the_wait_is_a_503_never_a_500(client, make_user, app_db, monkeypatch) -> None:
    """PostgreSQL under more requests than its pool: a request that gets no connection within the wait
    is told to try again; once a connection is free, the same request succeeds."""
    if app_db.startswith("sqlite"):
        pytest.skip("SQLite opens connections without a cap")
    user = make_user()
    with app_database_settings(
        monkeypatch, app_db, LUMIERE_DB_LOCK_WAIT_S="0.3", LUMIERE_DB_POOL_SIZE="1", LUMIERE_DB_MAX_OVERFLOW="0"
    ):
        held = engine_for(app_db).connect()  # the pool's only connection, busy elsewhere
        try:
            response = client.get("/api/data/sources", headers=user["headers"])
            assert response.status_code == 503, response.text
            assert "try again" in response.json()["detail"]
        finally:
            held.close()
        assert client.get("/api/data/sources", headers=user["headers"]).status_code == 200
