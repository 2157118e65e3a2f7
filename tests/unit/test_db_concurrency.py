"""Many threads writing the app database at once: they wait their turn, and a lock is never a 500."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import make_url
from sqlmodel import select

from lumiere.config import reset_settings
from lumiere.db import DatabaseBusy, engine_for, in_transaction, saved_id, session_scope
from lumiere.models import User
from lumiere.services import sources
from lumiere.services.ask import ask_question
from lumiere.services.auth import register_user
from lumiere.services.history import list_queries

THREADS = 16
QUESTIONS = (
    "average life expectancy per continent in 2007",
    "total population by year",
    "Which country has the highest gdp per capita in 2007?",
    "How many countries are in Europe?",
)


def _users_with_sample(count: int) -> list[tuple[int, int]]:
    with session_scope() as session:
        users = []
        for number in range(count):
            user = register_user(session, email=f"load{number}@example.com", password="password-a1", name="Load")
            users.append((saved_id(user), saved_id(sources.load_sample_dataset(session, user))))
        return users


def test_threads_recording_questions_at_once_all_succeed(app_db: str) -> None:
    users = _users_with_sample(4)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def asker(index: int) -> None:
        user_id, source_id = users[index % len(users)]
        start.wait()
        try:
            for round_ in range(3):
                with session_scope() as session:
                    user = session.get(User, user_id)
                    assert user is not None
                    list_queries(session, user)
                    ask_question(session, user, source_id=source_id, question=QUESTIONS[(index + round_) % 4])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=asker, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope() as session:
        for user_id, _ in users:
            user = session.get(User, user_id)
            assert user is not None
            assert list_queries(session, user)[1] == THREADS // len(users) * 3


@pytest.fixture
def lock_wait(app_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[float], str]]:
    """Sets how long writers wait on the SQLite app database; returns its file path."""
    if not app_db.startswith("sqlite"):
        pytest.skip("SQLite's single writer")

    def set_wait(seconds: float) -> str:
        monkeypatch.setenv("LUMIERE_DB_LOCK_WAIT_S", str(seconds))
        reset_settings()
        engine_for.cache_clear()
        return str(make_url(app_db).database)

    yield set_wait
    engine_for(app_db).dispose()
    engine_for.cache_clear()
    monkeypatch.delenv("LUMIERE_DB_LOCK_WAIT_S")
    reset_settings()


def _other_process_writing(path: str) -> sqlite3.Connection:
    """Another program (a CLI, a job worker process) holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def _add_user(session, email: str) -> None:
    register_user(session, email=email, password="password-a1", name="Writer")


def test_a_lock_that_outlasts_the_wait_is_a_503_not_an_operational_error(lock_wait) -> None:
    other = _other_process_writing(lock_wait(0.3))
    try:
        with pytest.raises(DatabaseBusy) as busy, session_scope() as session:
            _add_user(session, "late@example.com")
        assert busy.value.status_code == 503 and "try again" in busy.value.detail
    finally:
        other.rollback()
        other.close()


def test_a_transaction_is_tried_again_when_the_lock_is_given_back(lock_wait) -> None:
    other = _other_process_writing(lock_wait(0.3))
    threading.Timer(0.4, other.rollback).start()  # longer than one wait, shorter than the retries
    try:
        in_transaction(lambda session: _add_user(session, "patient@example.com"))
    finally:
        other.close()
    with session_scope() as session:
        assert session.exec(User.__table__.select()).all()  # type: ignore[attr-defined]


def test_writers_in_one_process_queue_instead_of_timing_out(lock_wait) -> None:
    """16 writers handing the lock on at once: SQLite's own wait (sleeps, then a look) can miss its
    turn until it gives up; queued in order, each waits at most the others' transactions."""
    lock_wait(10)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for round_ in range(3):
                with session_scope() as session:
                    _add_user(session, f"writer{index}-{round_}@example.com")
                    threading.Event().wait(0.005)  # work inside the transaction
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_request_cancelled_after_writing_gives_the_write_lock_back(lock_wait) -> None:
    """A client that goes away cancels its request's task; the session must still be rolled back,
    or the transaction keeps the write lock and every later writer waits for nothing."""
    from collections.abc import AsyncGenerator
    from typing import cast

    import anyio
    from sqlmodel import Session

    from lumiere.api.deps import db_session

    lock_wait(0.5)

    async def abandoned_request() -> None:
        requests_session = cast(AsyncGenerator[Session, None], db_session())  # what FastAPI drives
        session = await requests_session.__anext__()
        await anyio.to_thread.run_sync(_add_user, session, "abandoned@example.com")  # holds the write lock
        with anyio.CancelScope() as cancelled:
            cancelled.cancel()
            with pytest.raises(anyio.get_cancelled_exc_class()):
                await requests_session.athrow(anyio.get_cancelled_exc_class()())
        # The abandoned request's generator is still referenced here, so nothing but its own cleanup
        # can have ended the transaction; the next writer waits at most 0.5 s (DatabaseBusy otherwise).
        await anyio.to_thread.run_sync(_next_writer_finds_the_lock_free)
        del requests_session

    anyio.run(abandoned_request)


def _next_writer_finds_the_lock_free() -> None:
    with session_scope() as session:
        _add_user(session, "next@example.com")
        assert session.exec(select(User).where(User.email == "abandoned@example.com")).first() is None


def test_every_sync_route_that_writes_commits_on_its_own_thread() -> None:
    """Every sync route taking the request's session is declared on `Router`, whose endpoints commit as
    they return: a write never waits for a free request thread to commit. (The first version patched the
    routers' dependants, which FastAPI does not use once a router is included: under load the history
    write then held the lock until every other writer gave up with 503.)"""
    import inspect

    from fastapi.routing import APIRoute

    from lumiere.api.app import ROUTERS
    from lumiere.api.routing import Router

    assert all(isinstance(router, Router) for router in ROUTERS)
    writing = [
        route
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and "session" in inspect.signature(route.endpoint).parameters
        and not inspect.iscoroutinefunction(route.endpoint)
    ]
    assert len(writing) > 50
    assert [route.path for route in writing if not hasattr(route.endpoint, "__wrapped__")] == []


def test_an_answer_is_committed_before_the_route_returns(app_db: str) -> None:
    """The history row of an answer is committed on the route's own thread, inside the endpoint's call."""
    import traceback

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from lumiere.api.app import create_api
    from lumiere.db import get_engine
    from lumiere.services.auth import issue_token

    with session_scope() as session:
        user = register_user(session, email="committer@example.com", password="password-a1", name="C")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        token = issue_token(user).access_token
    committed_in: list[list[str]] = []

    def record(_connection: object) -> None:
        committed_in.append([frame.name for frame in traceback.extract_stack()])

    event.listen(get_engine(), "commit", record)
    try:
        response = TestClient(create_api()).post(
            "/api/ai/query",
            json={"source_id": source_id, "question": "average life expectancy per continent"},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        event.remove(get_engine(), "commit", record)
    assert response.status_code == 200, response.text
    assert any("committing" in names and "query" in names for names in committed_in)
