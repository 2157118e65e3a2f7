"""The Chat page's state without a browser: sending (a first question, a refining follow-up, a
re-chart, a follow-up the engine asks back), the conversation list, reopening, rename, delete, and
what the browser may send; answers checked against pandas on the sample dataset (gapminder)."""

from __future__ import annotations

import plotly.data
import pytest

from lumiere.core.limits import MAX_CHAT_MESSAGE_CHARS, MAX_CHAT_TITLE_CHARS
from lumiere.db import saved_id, session_scope
from lumiere.models import User
from lumiere.services import chat, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.chat import ChatState
from tests.helpers.page_state import handler, page_state, settled

FIRST = "average life expectancy by continent"


def _names(events) -> list[str]:
    """The state handlers among what a handler returned or yielded (nested lists flattened)."""
    if isinstance(events, list):
        return [name for event in events for name in _names(event)]
    fn = getattr(getattr(events, "handler", events), "fn", None)
    return [fn.__name__] if fn is not None else []


def _means(year: int | None = None) -> dict[str, float]:
    frame = plotly.data.gapminder()
    if year is not None:
        frame = frame[frame.year == year]
    return frame.groupby("continent").lifeExp.mean().to_dict()


def _shown(state) -> dict[str, float]:
    """The focused answer's table as continent → mean, read from the page's formatted cells."""
    names = [column.name for column in state.result_columns]
    continent = names.index("continent")
    return {row[continent]: float(row[1 - continent].replace(",", "")) for row in state.page_rows}


def _approx(expected: dict[str, float]) -> dict[str, object]:
    return {name: pytest.approx(value, abs=1e-4) for name, value in expected.items()}


@pytest.fixture
def chatter(app_db):
    """A user with the sample dataset, their token, and another user with a conversation of their own."""
    with session_scope() as session:
        user = register_user(session, email="chatter@example.com", password="correct horse", name="Chatter")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        other = register_user(session, email="other@example.com", password="correct horse", name="Other")
        other_source = saved_id(sources.load_sample_dataset(session, other))
        theirs = chat.send_message(session, other, source_id=other_source, message="How many rows are there?")
        session.expunge(user)
    return user, source_id, issue_token(user).access_token, theirs.session_id


def _say(state, message: str) -> list:
    """Types `message` into the box and sends it as Enter does (the form's submit, then the send)."""
    assert _names(state.submit({"message": message})) == ["send"]
    return settled(handler(ChatState.send)(state))


def test_a_conversation_asks_refines_recharts_and_asks_back(chatter):
    _, source_id, token, _ = chatter
    state = page_state(ChatState, token, "/chat")
    settled(state.load())
    assert state.loaded and [option.id for option in state.source_options] == [str(source_id)]
    assert state.new_source == str(source_id) and state.conversations == [] and state.open_title == "New chat"
    assert not state.can_send
    state.set_draft(FIRST)
    assert state.can_send

    events = _say(state, FIRST)
    assert "refresh_conversations" in _names(events) and "load_latest_insight" in _names(events)
    assert [b.role for b in state.bubbles] == ["user", "assistant"]
    first = state.bubbles[1]
    assert state.session_id > 0 and state.session_source == str(source_id)
    assert state.focused_id == first.id and first.has_result and first.summary == "5 rows"
    assert _shown(state) == _approx(_means())
    assert state.chart_type == "bar" and state.insight_query_id == first.query_id
    assert state.draft == "" and not state.working and state.pending == "" and state.error_message == ""

    _say(state, "only for 2007")
    refined = state.bubbles[-1]
    assert refined.text.startswith("Refined: “") and "2007" in refined.text
    assert "2007" in refined.sql and refined.query_id != first.query_id
    assert state.focused_id == refined.id and _shown(state) == _approx(_means(2007))

    assert "as a pie chart" not in refined.suggestions  # averages are not parts of a whole
    assert "as a bar chart" in refined.suggestions
    assert _names(state.use_suggestion("as a line chart")) == ["send"]
    settled(handler(ChatState.send)(state))
    recharted = state.bubbles[-1]
    assert recharted.query_id == refined.query_id  # no query ran: the same history entry
    assert state.chart_type == "line" and _shown(state) == _approx(_means(2007))

    _say(state, "what about the airspeed?")
    asked_back = state.bubbles[-1]
    assert not asked_back.has_result and "could not tell what to change" in asked_back.text
    assert "You could ask:" in asked_back.text
    assert state.focused_id == recharted.id  # the last answer stays open

    settled(handler(ChatState.focus_answer)(state, first.id))  # an earlier answer on request
    assert state.focused_id == first.id and _shown(state) == _approx(_means())
    assert len(state.bubbles) == 8


def test_the_list_reopens_renames_and_deletes_conversations(chatter):
    _, source_id, token, _ = chatter
    state = page_state(ChatState, token, "/chat")
    settled(state.load())
    _say(state, FIRST)
    _say(state, "only for 2007")
    session_id = state.session_id
    state.new_chat()
    assert state.session_id == 0 and state.bubbles == [] and state.focused_id == 0 and state.page_rows == []
    _say(state, "How many rows are there?")
    settled(handler(ChatState.refresh_conversations)(state))
    assert [row.title for row in state.conversations] == ["How many rows are there?", FIRST]
    row = state.conversations[1]
    assert (row.id, row.source_id, row.source_name, row.message_count) == (session_id, str(source_id), "gapminder", 4)
    state.set_search("LIFE")
    assert [row.title for row in state.shown_conversations] == [FIRST]
    state.set_search("")

    reopened = page_state(ChatState, token, f"/chat?session={session_id}")
    assert _names(settled(reopened.load())) == ["open_conversation"]
    events = settled(handler(ChatState.open_conversation)(reopened, session_id))
    assert "load_latest_insight" in _names(events)
    assert [b.role for b in reopened.bubbles] == ["user", "assistant"] * 2
    assert reopened.open_title == FIRST and reopened.session_source == str(source_id)
    assert reopened.focused_id == reopened.bubbles[-1].id and _shown(reopened) == _approx(_means(2007))

    reopened.start_rename(session_id, FIRST)
    assert reopened.renaming_id == session_id and reopened.rename_draft == FIRST
    assert "toast" in str(settled(handler(ChatState.submit_rename)(reopened, {"title": "   "})))
    assert reopened.renaming_id == session_id  # still editing: the title was refused
    assert _names(settled(handler(ChatState.submit_rename)(reopened, {"title": " Life  in 2007 "}))) == [
        "refresh_conversations"
    ]
    settled(handler(ChatState.refresh_conversations)(reopened))
    assert reopened.renaming_id == 0 and reopened.open_title == "Life in 2007"
    reopened.start_rename(session_id, "x")
    reopened.cancel_rename()
    assert reopened.renaming_id == 0

    reopened.ask_delete(session_id)
    assert reopened.confirming_delete
    reopened.cancel_delete()
    assert not reopened.confirming_delete
    reopened.ask_delete(session_id)
    assert "refresh_conversations" in _names(settled(handler(ChatState.confirm_delete)(reopened)))
    assert reopened.session_id == 0 and reopened.bubbles == [] and not reopened.confirming_delete
    settled(handler(ChatState.refresh_conversations)(reopened))
    assert [row.title for row in reopened.conversations] == ["How many rows are there?"]


def test_another_users_conversation_and_bad_input_change_nothing(chatter):
    _, source_id, token, theirs = chatter
    state = page_state(ChatState, token, "/chat")
    settled(state.load())
    _say(state, FIRST)
    mine, shown = state.session_id, list(state.bubbles)

    assert "toast" in str(settled(handler(ChatState.open_conversation)(state, theirs)))
    assert state.session_id == mine and state.bubbles == shown
    state.ask_delete(theirs)
    assert "toast" in str(settled(handler(ChatState.confirm_delete)(state)))
    state.start_rename(theirs, "mine now")
    assert "toast" in str(settled(handler(ChatState.submit_rename)(state, {"title": "mine now"})))
    with session_scope() as session:
        owner = session.get(User, chatter[0].id)
        assert owner is not None and [row.id for row in chat.list_sessions(session, owner)] == [mine]

    # a follow-up sent into someone else's conversation is refused and the draft is kept
    state.session_id = theirs
    _say(state, "only for 2007")
    assert "No conversation" in state.error_message and state.draft == "only for 2007"
    assert not state.working and state.bubbles == shown

    for bad in ("abc", 0, -3, None, [1], True):
        assert settled(handler(ChatState.open_conversation)(state, bad)) is None
        assert handler(ChatState.focus_answer)(state, bad) is None
    state.choose_source("999999")
    state.choose_source(["1"])
    assert state.new_source == str(source_id)
    state.set_draft("x" * (MAX_CHAT_MESSAGE_CHARS + 50))
    assert len(state.draft) == MAX_CHAT_MESSAGE_CHARS
    state.set_draft(42)
    assert state.draft == ""
    state.set_search("s" * 5000)
    assert len(state.search) == MAX_CHAT_TITLE_CHARS
    state.start_rename("abc", 5)
    assert state.renaming_id == 0 and state.rename_draft == ""
    assert _names(state.submit("not a form")) == ["send"] and state.draft == ""
    assert settled(handler(ChatState.send)(state)) == []  # nothing to send: nothing happens

    state.new_chat()
    state.new_source = ""
    _say(state, "How many rows are there?")
    assert state.error_message == "Pick a data source first (or add one on the Data page)."
    assert state.bubbles == [] and state.session_id == 0


def test_signed_out_the_page_sends_to_login(app_db):
    state = page_state(ChatState, "forged.token.value", "/chat")
    assert "/login?next=/chat" in str(settled(state.load()))
    assert state.conversations == [] and not state.loaded
