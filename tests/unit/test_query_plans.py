"""The list queries use their indexes on a realistically filled PostgreSQL database: 50,000 history
entries (and insights, chats, LLM calls) across 200 users and 10 workspaces, EXPLAINed as the services
run them. A plan that scans a whole big table fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from lumiere.core.enums import WorkspaceRole
from lumiere.db import get_engine
from lumiere.models import User, WorkspaceMember
from lumiere.services import chat, usage
from lumiere.services.history import HistoryFilter, list_queries
from lumiere.services.insights import page_insights
from lumiere.services.pins import list_pins

USERS, QUERIES, WORKSPACES = 200, 50_000, 10
BIG_TABLES = ("queries", "insights", "chat_sessions", "llm_calls", "pins")

FILL = (
    (f"INSERT INTO users (email, name, password_hash, role, plan, token_version, disabled, theme, guide_dismissed,"
    f" created_at, updated_at) SELECT 'plan' || g || '@example.com', 'U' || g, 'x', 'user', 'free', 0, false,"
    f" 'system', false, now() - g * interval '1 hour', now() FROM generate_series(1, {USERS}) g"),
    (f"INSERT INTO workspaces (name, owner_id, created_at, updated_at) SELECT 'team ' || g, :first, now(), now()"
    f" FROM generate_series(1, {WORKSPACES}) g"),
    # every tenth entry is in a workspace; spread over a year
    (f"INSERT INTO queries (user_id, workspace_id, source_id, source_name, question, sql, status, engine, origin,"
    f" created_at) SELECT :first + g % {USERS}, CASE WHEN g % 10 = 0 THEN :space + (g / 10) % {WORKSPACES} END, g % 50,"
    f" 's', 'question ' || g, 'SELECT 1', CASE WHEN g % 7 = 0 THEN 'error' ELSE 'ok' END, 'builtin', 'question',"
    f" now() - (g % 8760) * interval '1 hour' FROM generate_series(1, {QUERIES}) g"),
    ("INSERT INTO insights (user_id, workspace_id, query_id, text, facts_json, engine, saved, created_at)"
    f" SELECT user_id, workspace_id, id, 'text', '[]', 'builtin', id % 3 = 0, created_at FROM queries"
    f" WHERE (id / {USERS}) % 2 = 0"),
    ("INSERT INTO chat_sessions (user_id, workspace_id, source_id, title, created_at, updated_at)"
    f" SELECT user_id, workspace_id, source_id, 'chat', created_at, created_at FROM queries"
    f" WHERE (id / {USERS}) % 5 = 0"),
    ("INSERT INTO llm_calls (user_id, purpose, model, prompt_tokens, completion_tokens, cost_usd, latency_ms,"
    " user_key, outcome, created_at) SELECT user_id, 'sql', 'm', 10, 10, 0.001, 5, false, 'ok', created_at"
    f" FROM queries WHERE (id / {USERS}) % 2 = 1"),
    ("INSERT INTO pins (user_id, workspace_id, query_id, position, width, created_at)"
    f" SELECT user_id, workspace_id, id, 0, 1, created_at FROM queries WHERE (id / {USERS}) % 4 = 0"),
)


@pytest.fixture
def filled(app_db: str, db_session: Session) -> tuple[User, int]:
    """The busiest user and a workspace they are a member of, in a database filled as above."""
    if not app_db.startswith("postgresql"):
        pytest.skip("query plans are checked on PostgreSQL, the production database")
    db_session.exec(text(FILL[0]))  # type: ignore[call-overload]
    first = db_session.exec(text(  # type: ignore[call-overload]
        "SELECT MIN(id) FROM users WHERE email LIKE 'plan%'")).one()[0]
    db_session.exec(text(FILL[1]), params={"first": first})  # type: ignore[call-overload]
    space = db_session.exec(text(  # type: ignore[call-overload]
        "SELECT MIN(id) FROM workspaces WHERE name LIKE 'team %'")).one()[0]
    for statement in FILL[2:]:
        db_session.exec(text(statement), params={"first": first, "space": space})  # type: ignore[call-overload]
    db_session.add(WorkspaceMember(workspace_id=space + 1, user_id=first + 1, role=WorkspaceRole.VIEWER))
    db_session.commit()
    for table in (*BIG_TABLES, "users", "workspaces", "workspace_members"):
        db_session.exec(text(f"ANALYZE {table}"))  # type: ignore[call-overload]
    db_session.commit()  # the statistics are transactional too
    user = db_session.get(User, first + 1)
    assert user is not None
    return user, space + 1


@contextmanager
def _captured() -> Iterator[list[tuple[str, object]]]:
    statements: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _plans(run: Callable[[], object]) -> list[str]:
    """The PostgreSQL plan of every statement `run` sends that reads a big table."""
    with _captured() as statements:
        run()
    plans = []
    with get_engine().connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT") or not any(
                f"FROM {table}" in statement or f"JOIN {table}" in statement for table in BIG_TABLES
            ):
                continue
            rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)  # type: ignore[arg-type]
            plans.append("\n".join(row[0] for row in rows))
    assert plans, "nothing was read from a big table"
    return plans


def _assert_indexed(plans: list[str]) -> None:
    for plan in plans:
        scanned = [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]
        assert not scanned, f"a full scan of {scanned}:\n{plan}"
        assert "Index" in plan, plan


def test_history_lists_use_their_indexes(filled, db_session) -> None:
    user, workspace_id = filled
    _assert_indexed(_plans(lambda: list_queries(db_session, user)))
    _assert_indexed(_plans(lambda: list_queries(db_session, user, HistoryFilter(status="error"), page=2)))  # type: ignore[arg-type]
    _assert_indexed(_plans(lambda: list_queries(db_session, user, workspace_id=workspace_id)))


def test_insight_chat_pin_and_usage_lists_use_their_indexes(filled, db_session) -> None:
    user, workspace_id = filled
    _assert_indexed(_plans(lambda: page_insights(db_session, user, saved=True)))
    _assert_indexed(_plans(lambda: page_insights(db_session, user, workspace_id=workspace_id)))
    _assert_indexed(_plans(lambda: chat.list_sessions(db_session, user)))
    _assert_indexed(_plans(lambda: list_pins(db_session, user)))
    month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    _assert_indexed(_plans(lambda: usage.llm_spend_usd(db_session, user.id or 0, month)))
