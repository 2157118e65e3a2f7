"""The app database: one engine per URL, short sessions, migrations applied on start.

SQLite (the embedded default) allows one writer at a time, and its own wait for the write lock
polls with growing sleeps: under load a waiter can lose its turn again and again until the busy
timeout ends in "database is locked". So within a process, writers queue for a lock of ours in
the order they come (`_WriteGate`), taken at a transaction's first write and given back at its
commit or rollback; SQLite's busy timeout remains only for other processes (a CLI, a job worker).
Reads never queue: pysqlite starts no transaction for a SELECT, so a read holds no snapshot that
a later write would have to upgrade (the upgrade SQLite refuses without waiting).
"""

from __future__ import annotations

import fcntl
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel, create_engine

from lumiere.config import PROJECT_ROOT, get_settings
from lumiere.core.errors import Unavailable

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

T = TypeVar("T")
logger = logging.getLogger(__name__)

_MIGRATION_LOCK_ID = 0x4C756D69  # "Lumi": serialises migrations across workers on PostgreSQL
_migrate_lock = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
BUSY_DETAIL = "The database is busy with other changes; try again in a moment."


class DatabaseBusy(Unavailable):
    """A write waited its whole turn (`db_lock_wait_s`) and still found the database locked: a 503."""


class _WriteGate:
    """One SQLite writer at a time in this process, the others waiting in turn on a lock.

    Held by the connection that wrote, not by a thread: request threads are pooled, so a thread may
    serve another request while the connection it wrote on still awaits its commit.
    """

    def __init__(self, wait_s: float) -> None:
        self._lock = threading.Lock()
        self._wait_s = wait_s

    def enter(self, info: dict[str, Any]) -> None:
        if info.get("gate"):
            return
        if not self._lock.acquire(timeout=self._wait_s):
            raise DatabaseBusy(BUSY_DETAIL)
        info["gate"] = True

    def leave(self, info: dict[str, Any]) -> None:
        if info.pop("gate", False):
            self._lock.release()


def _sqlite_engine(url: str) -> Engine:
    settings = get_settings()
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": settings.db_lock_wait_s},
        pool_size=settings.db_pool_size,
        # No cap: a SQLite connection is only a file handle, and a request keeps its session from its
        # route until its commit runs on a free request thread, so more sessions than threads can be
        # open at once; a capped pool would time out (a 500) where it should have waited its turn.
        max_overflow=-1,
    )
    gate = _WriteGate(settings.db_lock_wait_s)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may lose the last commit
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.db_lock_wait_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _queue_writers(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            gate.enter(connection.info)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _next_writer(connection: Any) -> None:
        gate.leave(connection.info)

    @event.listens_for(engine, "checkin")
    def _next_writer_on_return(_dbapi_connection: Any, record: Any) -> None:
        gate.leave(record.info)  # a connection closed mid-transaction (an error) gives its turn back too

    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    settings = get_settings()
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_recycle=settings.db_pool_recycle_s,
        pool_timeout=settings.db_lock_wait_s,  # every connection busy that long: a 503 "try again"
    )


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


def is_lock_error(error: BaseException) -> bool:
    """SQLite's "database is locked" / "busy" (another process held the write lock past the busy timeout),
    or no pooled connection came free within the wait (PostgreSQL under more load than its pool)."""
    if isinstance(error, (DatabaseBusy, PoolTimeout)):
        return True
    if not isinstance(error, OperationalError):
        return False
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written.

    A lock that outlasted the wait is a 503 "try again" (`DatabaseBusy`), never a 500.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as error:
            session.rollback()
            if is_lock_error(error) and not isinstance(error, DatabaseBusy):
                raise DatabaseBusy(BUSY_DETAIL) from error
            raise


def in_transaction(work: Callable[[Session], T], *, attempts: int = 3) -> T:
    """`work(session)` in one transaction, run again from the start (after a short random pause) when
    the database was locked; `work` must do nothing outside the database that cannot be repeated."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope() as session:
                return work(session)
        except DatabaseBusy:
            if attempt == attempts:
                raise
            logger.warning("app database locked; trying the transaction again (attempt %d)", attempt + 1)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


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
            with _sqlite_file_lock(engine):
                command.upgrade(alembic_config(url), "head")


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """SQLite's counterpart of the advisory lock: backend processes started together (`make serve`,
    Granian's workers) would otherwise all create the first tables at once, and all but one fail."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
