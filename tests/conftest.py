"""Shared fixtures.

Every test that touches the app database runs twice: on SQLite and on the PostgreSQL server
at 127.0.0.1:5432 (a throwaway database created for the run and dropped at the end).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from lumiere.config import reset_settings

pytest_plugins = ["tests.fake_llm", "tests.helpers.smtp"]

PG_ADMIN_URL = os.environ.get("LUMIERE_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", autouse=True)
def _quiet_fast_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Cheap bcrypt and a fixed secret for the whole run; nothing lands in ./var."""
    saved = dict(os.environ)
    os.environ["LUMIERE_BCRYPT_ROUNDS"] = "4"
    os.environ["LUMIERE_SECRET_KEY"] = "test-secret-" + secrets.token_hex(16)
    os.environ["LUMIERE_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ["LUMIERE_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'default.db'}"
    # Tests sign in, fail to sign in and register far faster than people: generous limits here (the
    # live server of the browser tests inherits them); a test of a limit sets its own low one.
    os.environ["LUMIERE_RATE_LIMIT_DEFAULT_PER_MINUTE"] = "100000"
    os.environ["LUMIERE_LOGIN_FAILURE_LIMIT"] = "100000"
    os.environ["LUMIERE_REGISTRATIONS_PER_HOUR"] = "100000"
    # Every query worker started with its pool, as the worker tests count them (lazy start: its own test).
    os.environ["LUMIERE_QUERY_WORKERS_WARM"] = "64"
    for name in ("LUMIERE_LLM_API_KEY", "LUMIERE_LLM_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)
    reset_settings()
    yield
    os.environ.clear()
    os.environ.update(saved)
    reset_settings()


@pytest.fixture(autouse=True)
def _fresh_limits_and_caches() -> Iterator[None]:
    """Every test starts with no requests counted (questions still count against the plan's limit)
    and no query result kept from another test."""
    from lumiere.services import rate_limits, result_cache

    rate_limits.reset()
    result_cache.reset()
    yield
    rate_limits.reset()
    result_cache.reset()


def _create_pg_database() -> str:
    name = f"lumiere_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty app database on each backend."""
    from lumiere.db import engine_for, migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'lumiere.db'}"
        migrate(url)
        _capture_seeded_rows(url)
        yield url
        engine_for(url).dispose()
        return
    name = _create_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        _capture_seeded_rows(url)
        yield url
    finally:
        engine_for(url).dispose()
        _drop_pg_database(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def app_db(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points the settings at the backend under test and a fresh data dir; empties tables after."""
    monkeypatch.setenv("LUMIERE_DATABASE_URL", database_url)
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield database_url
    from lumiere.db import engine_for

    with engine_for(database_url).begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
        restore_seeded_rows(connection)
    reset_settings()


# Rows the migrations create (the plans `free` and `pro`), put back after every test empties the tables.
_SEEDED_TABLES = ("plans",)
_seeded_rows: dict[str, list[dict]] = {}


def restore_seeded_rows(connection) -> None:
    for name in _SEEDED_TABLES:
        table = SQLModel.metadata.tables[name]
        if name not in _seeded_rows:
            raise RuntimeError(f"no seed rows captured for {name}")
        if _seeded_rows[name]:
            connection.execute(table.insert(), _seeded_rows[name])


def _capture_seeded_rows(url: str) -> None:
    from lumiere.db import engine_for

    with engine_for(url).connect() as connection:
        for name in _SEEDED_TABLES:
            table = SQLModel.metadata.tables[name]
            _seeded_rows[name] = [dict(row._mapping) for row in connection.execute(table.select())]


@pytest.fixture
def db_session(app_db: str):
    from lumiere.db import session_scope

    with session_scope() as session:
        yield session
