"""No N+1 queries on list endpoints: the SQL statements one list request runs do not grow with its rows
(5 rows and 50 rows of each kind run the same number), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session

from lumiere.core.enums import ChatRole, WorkspaceRole
from lumiere.db import get_engine, saved_id
from lumiere.models import (
    ChatMessage,
    ChatSession,
    Insight,
    Pin,
    Query,
    Schedule,
    Source,
    User,
    Workspace,
    WorkspaceInvitation,
    WorkspaceMember,
)
from lumiere.state.admin import AdminState
from lumiere.state.chat import ChatState
from lumiere.state.data import DataState
from lumiere.state.history import HistoryState
from lumiere.state.insights import MAX_CHARTED, InsightsState
from lumiere.state.schedules import SchedulesState
from lumiere.state.workspaces import WorkspacesState
from tests.helpers.page_state import page_state, settled

LISTS = (
    "/api/queries", "/api/insights", "/api/insights?saved=true", "/api/data/sources", "/api/schedules",
    "/api/admin/users", "/api/workspaces", "/api/chat/sessions", "/api/pins",
)


def _seed(session: Session, user_id: int, start: int, count: int) -> None:
    """`count` rows of every listed kind for the user, numbered from `start` (unique names)."""
    for number in range(start, start + count):
        session.add(User(email=f"other{number}@example.com", name=f"Other {number}", password_hash="x"))
        source = Source(user_id=user_id, name=f"source {number}", kind="csv", table_name=f"t{number}", tables_json=[])
        query = Query(user_id=user_id, source_id=None, source_name="gone", question=f"question {number}",
                      sql="SELECT 1")
        session.add_all([source, query])
        session.flush()
        session.add(Insight(user_id=user_id, query_id=saved_id(query), text="text", saved=True))
        session.add(Pin(user_id=user_id, query_id=saved_id(query), position=number))
        session.add(Schedule(user_id=user_id, query_id=saved_id(query), source_id=source.id, name=f"s{number}",
                             sql="SELECT 1", cron="0 8 * * *", timezone="UTC", recipients_json=["a@example.com"]))
        chat = ChatSession(user_id=user_id, title=f"chat {number}")
        workspace = Workspace(name=f"team {number}", owner_id=user_id)
        session.add_all([chat, workspace])
        session.flush()
        session.add_all([
            ChatMessage(session_id=saved_id(chat), role=ChatRole.USER, text="hi"),
            ChatMessage(session_id=saved_id(chat), role=ChatRole.ASSISTANT, text="hello"),
            WorkspaceMember(workspace_id=saved_id(workspace), user_id=user_id, role=WorkspaceRole.ADMIN),
            WorkspaceInvitation(workspace_id=saved_id(workspace), email=f"invited{number}@example.com",
                                role=WorkspaceRole.VIEWER, token_hash=f"{number:064d}"),
        ])
    session.commit()


@contextmanager
def _counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements_per_list(client, headers: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in LISTS:
        with _counted() as statements:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text}"
        counts[path] = len(statements)
    return counts


@pytest.mark.usefixtures("app_db")
def test_list_requests_run_as_many_statements_for_50_rows_as_for_5(client, make_user, db_session) -> None:
    admin = make_user()  # the installation's first account: a site admin, so the admin list is allowed
    _seed(db_session, admin["id"], 0, 5)
    few = _statements_per_list(client, admin["headers"])
    _seed(db_session, admin["id"], 5, 45)
    many = _statements_per_list(client, admin["headers"])
    assert many == few
    totals = {path: client.get(path, headers=admin["headers"]).json()["total"] for path in LISTS}
    assert totals["/api/queries"] == totals["/api/chat/sessions"] == totals["/api/pins"] == 50


PAGES = (  # the list pages' on-load handlers (the dashboard runs each pin's own query by design)
    (DataState, "/data"), (HistoryState, "/history"), (InsightsState, "/insights"), (SchedulesState, "/schedules"),
    (WorkspacesState, "/workspaces"), (ChatState, "/chat"), (AdminState, "/admin"),
)


def _statements_per_page(token: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cls, url in PAGES:
        state = page_state(cls, token, url)
        with _counted() as statements:
            settled(state.load())
        counts[url] = len(statements)
    return counts


@pytest.mark.usefixtures("app_db")
def test_list_pages_load_with_as_many_statements_for_50_rows_as_for_5(make_user, db_session) -> None:
    admin = make_user()
    # Saved insights draw the newest MAX_CHARTED charts (one query each): "few" already fills that.
    _seed(db_session, admin["id"], 0, MAX_CHARTED)
    few = _statements_per_page(admin["token"])
    _seed(db_session, admin["id"], MAX_CHARTED, 50 - MAX_CHARTED)
    many = _statements_per_page(admin["token"])
    assert all(few.values()) and many == few  # every page read its lists, in as many statements
