"""The app database: one engine per URL, short sessions, migrations applied on start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, make_url, text
from sqlmodel import Session, SQLModel, create_engine

from lumiere.config import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

_MIGRATION_LOCK_ID = 0x4C756D69  # "Lumi": serialises migrations across workers on PostgreSQL
_migrate_lock = threading.Lock()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def saved_id(row: SQLModel) -> int:
    """The primary key of a row read from or flushed to the database.

    The models type `id` as `int | None` because a row built in Python has none until it is flushed.
    """
    row_id = getattr(row, "id", None)
    if not isinstance(row_id, int):
        raise ValueError(f"{type(row).__name__} has no id yet; flush it first")
    return row_id


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # Alembic (9 MB) is for migrating only

    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to the latest revision; safe to call from several workers at once."""
    from alembic import command

    url = url or get_settings().resolved_database_url
    with _migrate_lock:
        engine = engine_for(url)
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                try:
                    cfg = alembic_config(url)
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, "head")
                    connection.commit()
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
                    connection.commit()
        else:
            command.upgrade(alembic_config(url), "head")
