"""Every page handler that takes an object id, called by another user with the owner's id: the
handler shows "not found" (the policy's 404) and the object is untouched. The same for a member of
another workspace: the workspace's objects are as invisible as a personal one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from lumiere.db import saved_id, session_scope
from lumiere.models import ChatSession, Insight, Pin, Query, Source, User
from lumiere.services import ask, chat, insights, pins, sources, workspaces
from lumiere.services.auth import issue_token, register_user
from lumiere.state.chat import ChatState
from lumiere.state.dashboard import DashboardState
from lumiere.state.data_detail import SourceDetailState
from lumiere.state.exports import ExportState
from lumiere.state.history import HistoryState
from lumiere.state.insights import InsightsState
from lumiere.state.pins import PinState
from lumiere.state.query import QueryState
from lumiere.state.workspaces import WorkspacesState
from tests.helpers.page_state import handler, page_state, settled


@dataclass(frozen=True)
class Owned:
    source: int
    query: int
    insight: int
    chat: int
    workspace: int
    stranger_token: str


@pytest.fixture(params=["personal", "workspace"])
def owned(request, app_db) -> Owned:
    """The owner's source, query, insight and chat (personal, or in the owner's workspace), and a stranger."""
    with session_scope() as session:
        owner = register_user(session, email="owner@example.com", password="correct horse", name="Owner")
        stranger = register_user(session, email="stranger@example.com", password="correct horse", name="Stranger")
        workspaces.create_workspace(session, stranger, "Stranger's own team")  # a member, of another workspace
        team = workspaces.create_workspace(session, owner, "Owner's team")
        source = sources.load_sample_dataset(session, owner, team.id if request.param == "workspace" else None)
        answer = ask.run_sql(session, owner, source_id=saved_id(source), sql="SELECT COUNT(*) AS n FROM gapminder")
        insight = insights.create_insight(session, owner, saved_id(answer.query))
        talk = chat.send_message(session, owner, source_id=saved_id(source), message="How many rows are there?")
        token = issue_token(stranger).access_token
        return Owned(saved_id(source), saved_id(answer.query), saved_id(insight), talk.session_id, team.id, token)


def _still_there(owned: Owned) -> None:
    with session_scope() as session:
        for model, object_id in ((Source, owned.source), (Query, owned.query), (Insight, owned.insight),
                                 (ChatSession, owned.chat)):
            assert session.get(model, object_id) is not None


def test_source_page(owned: Owned) -> None:
    state = page_state(SourceDetailState, owned.stranger_token, f"/data/{owned.source}")
    settled(state.load())
    assert state.loaded and not state.found and not state.can_delete
    _still_there(owned)


def test_ask_page_opening_and_rerunning_an_entry(owned: Owned) -> None:
    state = page_state(QueryState, owned.stranger_token, "/query")
    for opened in (QueryState.open_entry, QueryState.rerun):  # the page shows the message itself
        state.error_message = ""
        settled(handler(opened)(state, owned.query))
        assert f"No query with id {owned.query}" in state.error_message
        assert state.answer_query_id == 0 and not state.has_answer
    _still_there(owned)


def test_ask_page_with_the_source_in_the_link(owned: Owned) -> None:
    state = page_state(QueryState, owned.stranger_token, f"/query?source={owned.source}")
    settled(state.load())
    assert state.selected_source != str(owned.source)


def test_history_delete(owned: Owned) -> None:
    state = page_state(HistoryState, owned.stranger_token, "/history")
    state.ask_delete(str(owned.query), "someone else's")
    assert f"No query with id {owned.query}" in str(settled(state.confirm_delete()))
    _still_there(owned)


def test_insights_unsave_and_delete(owned: Owned) -> None:
    state = page_state(InsightsState, owned.stranger_token, "/insights")
    assert f"No insight with id {owned.insight}" in str(settled(state.unsave(str(owned.insight))))
    state.ask_delete(str(owned.insight))
    assert f"No insight with id {owned.insight}" in str(settled(state.confirm_delete()))
    _still_there(owned)


def test_export_download(owned: Owned) -> None:
    state = page_state(ExportState, owned.stranger_token, "/history")
    assert f"No query with id {owned.query}" in str(settled(state.download(str(owned.query), "csv")))


def test_chat_open_rename_and_delete(owned: Owned) -> None:
    state = page_state(ChatState, owned.stranger_token, "/chat")
    missing = f"No conversation with id {owned.chat}"
    assert missing in str(settled(handler(ChatState.open_conversation)(state, owned.chat)))
    assert state.bubbles == []
    handler(ChatState.start_rename)(state, owned.chat, "mine now")
    assert missing in str(settled(handler(ChatState.submit_rename)(state, {"title": "mine now"})))
    handler(ChatState.ask_delete)(state, owned.chat)
    assert missing in str(settled(handler(ChatState.confirm_delete)(state)))
    _still_there(owned)


def test_workspaces_page(owned: Owned) -> None:
    state = page_state(WorkspacesState, owned.stranger_token, "/workspaces")
    settled(state.select(owned.workspace))
    assert state.selected_name == "Stranger's own team" and owned.workspace not in [item.id for item in state.items]
    state.selected_id = owned.workspace  # a forged selection: the service still says no such workspace
    assert f"No workspace with id {owned.workspace}" in str(settled(state.invite({"email": "x@example.com"})))
    assert f"No workspace with id {owned.workspace}" in str(settled(state.confirm_delete()))


def test_pin_and_dashboard_arranging(owned: Owned) -> None:
    with session_scope() as session:
        owner = session.exec(select(User).where(User.email == "owner@example.com")).one()
        pin_id = saved_id(pins.pin_query(session, owner, owned.query))
    state = page_state(PinState, owned.stranger_token, "/query")
    assert f"No query with id {owned.query}" in str(settled(handler(PinState.pin)(state, str(owned.query))))
    dashboard = page_state(DashboardState, owned.stranger_token, "/dashboard")
    missing = f"No pin with id {pin_id}"
    assert missing in str(settled(handler(DashboardState.move)(dashboard, str(pin_id), 0)))
    assert missing in str(settled(handler(DashboardState.resize)(dashboard, str(pin_id), 3)))
    assert missing in str(settled(handler(DashboardState.unpin)(dashboard, str(pin_id))))
    settled(dashboard.load())
    assert dashboard.pin_cards == []
    with session_scope() as session:
        pin = session.get(Pin, pin_id)
        assert pin is not None and (pin.width, pin.position) == (1, 0)
