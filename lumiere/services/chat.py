"""Conversations about a source: each message is read against the earlier turns and answered.

A first message (or one the engine reads as a complete question) is answered exactly like Ask. A
follow-up is read against the latest assistant turn that ran SQL, by the engine that can
(`FollowUpReader`: the LLM when configured, the built-in engine when it implements it): it refines
that answer (new standalone SQL, run and recorded like Ask), only re-charts its rows (no query
runs, no history entry), or asks back. An engine without `follow_up` answers every message as a
first question. A message that cannot be answered is a reply saying so, with suggestions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from lumiere import charts
from lumiere.charts.choice import chart_title
from lumiere.charts.profile import additive_column
from lumiere.core.chat import FollowUp, FollowUpKind, PreviousTurn
from lumiere.core.engine import CannotAnswer, QuestionContext
from lumiere.core.enums import ChatRole, UsageMetric
from lumiere.core.errors import BadRequest, Invalid, NotFound, Timeout
from lumiere.core.json_values import json_safe
from lumiere.core.labels import column_labels
from lumiere.core.limits import MAX_CHAT_MESSAGE_CHARS, MAX_CHAT_TITLE_CHARS
from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.core.text import plural
from lumiere.db import saved_id
from lumiere.llm.chat import ChatLlmEngine
from lumiere.llm.client import LlmClient, LlmUnavailable
from lumiere.models import ChatMessage, ChatSession, Source, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.nlq.engine import BuiltinEngine
from lumiere.nlq.suggestions import suggest_questions
from lumiere.services import usage
from lumiere.services.ask import (
    Answer,
    answer_with_generated,
    answer_with_llm,
    ask_question,
    build_context,
    public_answer,
)
from lumiere.services.llm_access import llm_client
from lumiere.services.policy import Action, authorize, visible_filter
from lumiere.services.sources import get_source

TITLE_CHARS = 80  # a title made from the first message
MAX_STORED_ROWS = 1000  # rows kept with a turn (re-charting, the page); the history entry can re-run the rest
PREVIEW_ROWS = 5
MAX_SUGGESTIONS = 4


@dataclass(frozen=True)
class ChatMessageView:
    """The API's message: `result` has the shape of /api/ai/query's result, or is None."""

    id: int
    role: ChatRole
    text: str
    query_id: int | None
    result: dict[str, Any] | None
    created_at: str


@dataclass(frozen=True)
class ChatSessionView:
    id: int
    title: str
    source_id: int | None
    message_count: int
    created_at: str
    updated_at: str
    workspace_id: int | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class ChatExchange:
    session_id: int
    user_message: ChatMessageView
    reply: ChatMessageView


@dataclass
class _Reply:
    """What the assistant says, before it is stored."""

    text: str
    query_id: int | None = None
    result: dict[str, Any] | None = None
    reading: dict[str, Any] | None = None
    standalone_question: str = ""
    sql: str = ""
    chart: dict[str, Any] | None = None


# --- sessions ------------------------------------------------------------------------------------


def get_chat(session: Session, user: User, session_id: object, action: Action = Action.VIEW) -> ChatSession:
    """A conversation the user may `action`; a missing id and one they may not know of look the same (404)."""
    chat = session.get(ChatSession, session_id) if isinstance(session_id, int) else None
    missing = f"No conversation with id {session_id}."
    if chat is None:
        raise NotFound(missing)
    authorize(session, user, chat, action, missing=missing)
    return chat


def list_sessions(
    session: Session, user: User, *, search: str = "", workspace_id: int | None = None
) -> list[ChatSessionView]:
    """One space's conversations, latest activity first; `search` keeps titles containing it."""
    statement = select(ChatSession).where(visible_filter(session, ChatSession, user, workspace_id))
    words = search.strip()[:MAX_CHAT_TITLE_CHARS] if isinstance(search, str) else ""
    chats = list(
        session.exec(statement.order_by(col(ChatSession.updated_at).desc(), col(ChatSession.id).desc()))
    )
    if words:
        chats = [chat for chat in chats if words.casefold() in chat.title.casefold()]
    counts = _message_counts(session, [saved_id(chat) for chat in chats])
    return [public_session(chat, counts.get(saved_id(chat), 0)) for chat in chats]


def history(session: Session, user: User, session_id: object) -> list[ChatMessageView]:
    """A conversation's messages, oldest first."""
    chat = get_chat(session, user, session_id)
    return [public_message(message) for message in _messages(session, saved_id(chat))]


def rename(session: Session, user: User, session_id: object, title: object) -> ChatSessionView:
    chat = get_chat(session, user, session_id, Action.CHANGE)
    if not isinstance(title, str) or not title.strip():
        raise Invalid("Give the conversation a title (1 to 200 characters).", field="title")
    cleaned = " ".join(title.split())
    if len(cleaned) > MAX_CHAT_TITLE_CHARS:
        raise Invalid(f"That title is too long: at most {MAX_CHAT_TITLE_CHARS} characters.", field="title")
    chat.title = cleaned
    chat.updated_at = utcnow()
    session.add(chat)
    session.flush()
    return public_session(chat, _message_counts(session, [saved_id(chat)]).get(saved_id(chat), 0))


def delete(session: Session, user: User, session_id: object) -> None:
    """The conversation and its messages; the history entries its answers recorded stay."""
    chat = get_chat(session, user, session_id, Action.DELETE)
    for message in _messages(session, saved_id(chat)):
        session.delete(message)
    session.delete(chat)
    session.flush()


def public_session(chat: ChatSession, message_count: int) -> ChatSessionView:
    return ChatSessionView(
        id=saved_id(chat),
        title=chat.title,
        source_id=chat.source_id,
        message_count=message_count,
        created_at=iso_utc(chat.created_at),
        updated_at=iso_utc(chat.updated_at),
        workspace_id=chat.workspace_id,
        user_id=chat.user_id,
    )


def public_message(message: ChatMessage) -> ChatMessageView:
    return ChatMessageView(
        id=saved_id(message),
        role=ChatRole(message.role),
        text=message.text,
        query_id=message.query_id,
        result=message.result_json,
        created_at=iso_utc(message.created_at),
    )


def _messages(session: Session, chat_id: int) -> list[ChatMessage]:
    statement = (
        select(ChatMessage)
        .where(ChatMessage.session_id == chat_id)
        .order_by(col(ChatMessage.created_at), col(ChatMessage.id))
    )
    return list(session.exec(statement))


def _message_counts(session: Session, chat_ids: list[int]) -> dict[int, int]:
    if not chat_ids:
        return {}
    statement = (
        select(ChatMessage.session_id, func.count())
        .where(col(ChatMessage.session_id).in_(chat_ids))
        .group_by(col(ChatMessage.session_id))
    )
    return {int(chat_id): int(count) for chat_id, count in session.exec(statement).all()}


def title_from(message: str) -> str:
    words = " ".join(message.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


def clean_message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise Invalid("Type a message about your data.", field="message")
    text = message.strip()
    if len(text) > MAX_CHAT_MESSAGE_CHARS:
        raise Invalid(f"That message is too long: at most {MAX_CHAT_MESSAGE_CHARS:,} characters.", field="message")
    if "\x00" in text:
        raise Invalid("The message contains a NUL character; remove it.", field="message")
    return text


# --- a message and its reply ----------------------------------------------------------------------


def send_message(
    session: Session,
    user: User,
    *,
    source_id: int,
    message: object,
    session_id: int | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> ChatExchange:
    """Answers one message; without `session_id` it starts a conversation titled after the message.

    `on_partial` gets the reply's words while the LLM writes them, first turn or follow-up (the page streams them).
    """
    text = clean_message(message)
    # Adding a turn changes the conversation: its starter's, or an editor's in a workspace.
    chat = get_chat(session, user, session_id, Action.CHANGE) if session_id is not None else None
    if chat is not None and chat.source_id != source_id:
        raise Invalid(
            f"Conversation {session_id} is about data source {chat.source_id}, not {source_id}: send the message "
            "with that source_id, or leave session_id out to start a new conversation about this source.",
            field="source_id",
        )
    source = get_source(session, user, source_id, Action.ASK)
    earlier = _messages(session, saved_id(chat)) if chat is not None else []
    reply = _answer(session, user, source, text, earlier, on_partial)
    if chat is None:
        chat = ChatSession(
            user_id=saved_id(user), workspace_id=source.workspace_id, source_id=source.id, title=title_from(text)
        )
        session.add(chat)
        session.flush()
    chat_id = saved_id(chat)
    asked = ChatMessage(session_id=chat_id, role=ChatRole.USER, text=text)
    session.add(asked)
    session.flush()  # ids in order: the question before its answer
    answered = ChatMessage(
        session_id=chat_id,
        role=ChatRole.ASSISTANT,
        text=reply.text,
        query_id=reply.query_id,
        result_json=reply.result,
        reading_json=reply.reading,
        standalone_question=reply.standalone_question,
        sql=reply.sql,
        chart_json=reply.chart,
    )
    session.add(answered)
    chat.updated_at = utcnow()
    session.add(chat)
    session.flush()
    return ChatExchange(session_id=chat_id, user_message=public_message(asked), reply=public_message(answered))


def previous_turn(message: ChatMessage) -> PreviousTurn:
    """An assistant turn that ran SQL, as a follow-up is read against it."""
    result = message.result_json or {}
    columns = tuple(str(column.get("name", "")) for column in result.get("columns", []))
    rows = tuple(tuple(row) for row in result.get("rows", [])[:PREVIEW_ROWS])
    return PreviousTurn(
        question=message.standalone_question,
        sql=message.sql,
        reading=message.reading_json,
        chart=message.chart_json,
        columns=columns,
        rows_preview=rows,
    )


def _answer(
    session: Session,
    user: User,
    source: Source,
    text: str,
    earlier: list[ChatMessage],
    on_partial: Callable[[str], None] | None = None,
) -> _Reply:
    turns = [m for m in earlier if m.role == ChatRole.ASSISTANT and m.sql and m.result_json is not None]
    usage.check(session, user, UsageMetric.QUERIES)  # before any LLM reads the message
    context = build_context(session, user, source)
    try:
        if not turns:
            return _fresh(session, user, source, text, [], on_partial)
        notes: list[str] = []
        follow, llm = _read_follow_up(user, text, turns, context, notes, llm_client(session, user, notes), on_partial)
        if follow is None:  # no engine reads follow-ups: every message is a first question
            return _fresh(session, user, source, text, notes, on_partial)
        return _handle(session, user, source, context, follow, turns[-1], llm, notes)
    except CannotAnswer as error:
        return _Reply(text=_refusal(error.detail, error.suggestions))
    except (BadRequest, Timeout) as error:
        return _Reply(text=_refusal(f"I could not answer that: {error.detail}", suggest_questions(context.tables)))


def _read_follow_up(
    user: User,
    text: str,
    turns: list[ChatMessage],
    context: QuestionContext,
    notes: list[str],
    client: LlmClient | None,
    on_partial: Callable[[str], None] | None = None,
) -> tuple[FollowUp | None, ChatLlmEngine | None]:
    """The follow-up as the LLM (when it may be used) or the built-in engine reads it; None when neither can."""
    previous = [previous_turn(turn) for turn in turns]
    if client is not None:
        engine = ChatLlmEngine(client, previous, on_partial)
        try:
            return engine.follow_up(text, previous[-1], context), engine
        except LlmUnavailable as error:
            notes.append(f"The LLM could not be reached ({error.detail}), so the built-in engine answered.")
    builtin = BuiltinEngine()
    reader = getattr(builtin, "follow_up", None)
    if reader is None:
        return None, None
    return reader(text, previous[-1], context), None


def _handle(
    session: Session,
    user: User,
    source: Source,
    context: QuestionContext,
    follow: FollowUp,
    last: ChatMessage,
    llm: ChatLlmEngine | None,
    notes: list[str],
) -> _Reply:
    if follow.kind == FollowUpKind.CLARIFY:
        return _Reply(text=_refusal(follow.clarification or "Could you say a little more?", follow.suggestions))
    if follow.kind == FollowUpKind.CHART_ONLY:
        return _rechart(last, follow)
    if follow.kind == FollowUpKind.REFINED and follow.generated is not None:
        question = follow.standalone_question or last.standalone_question
        generated = follow.generated
        if generated.chart_hint is None and follow.chart:
            generated = replace(generated, chart_hint=follow.chart)
        if llm is not None:
            answer = answer_with_llm(session, user, source, question, context, llm)
        else:
            answer = answer_with_generated(session, user, source, question, generated, notes)
        reading = follow.reading if follow.reading is not None else getattr(generated, "reading", None)
        return _answered(answer, question, reading, lead=f"Refined: “{question}”.")
    return _fresh(session, user, source, follow.standalone_question or last.text, notes)


def _fresh(
    session: Session,
    user: User,
    source: Source,
    question: str,
    notes: list[str],
    on_partial: Callable[[str], None] | None = None,
) -> _Reply:
    """Answered like Ask; with the LLM, its explanation streams to `on_partial` while it writes."""
    answer = ask_question(session, user, source_id=saved_id(source), question=question, on_partial=on_partial)
    answer.notes[:0] = [note for note in notes if note not in answer.notes]
    return _answered(answer, question, answer.reading, lead="")


def _answered(answer: Answer, question: str, reading: dict[str, Any] | None, *, lead: str) -> _Reply:
    result = stored_result(answer)
    count = answer.result.row_count
    summary = f"{plural(count, 'row')}."
    text = " ".join(part for part in (lead, answer.explanation.strip(), summary) if part)
    return _Reply(
        text=text,
        query_id=saved_id(answer.query),
        result=result,
        reading=reading,
        standalone_question=question,
        sql=answer.query.sql,
        chart=answer.query.chart_json,
    )


def stored_result(answer: Answer) -> dict[str, Any]:
    """The API's result object as JSON, rows capped at MAX_STORED_ROWS."""
    body: dict[str, Any] = json_safe(asdict(public_answer(answer)))
    if len(body["rows"]) > MAX_STORED_ROWS:
        body["rows"] = body["rows"][:MAX_STORED_ROWS]
        body["truncated"] = True
    return body


def _rechart(last: ChatMessage, follow: FollowUp) -> _Reply:
    """The previous turn's rows with the asked-for chart: no query runs and no history entry is added."""
    stored = dict(last.result_json or {})
    result = ResultSet(
        columns=[ResultColumn(**column) for column in stored.get("columns", [])],
        rows=[list(row) for row in stored.get("rows", [])],
        row_count=int(stored.get("row_count", 0)),
        truncated=bool(stored.get("truncated", False)),
        duration_ms=0,
        sql=last.sql,
    )
    wanted = follow.chart or {}
    chart_type = wanted.get("type")
    try:
        try:
            spec = charts.validate_override(
                result, type=chart_type, x=wanted.get("x"), y=wanted.get("y"), color=wanted.get("color"), title=None
            )
        except Invalid:
            spec = charts.validate_override(result, type=chart_type, x=None, y=None, color=None, title=None)
    except Invalid as error:
        return _Reply(text=f"I cannot draw that chart for the last answer: {error.detail}")
    spec.title = chart_title(last.standalone_question, spec)
    stored["chart"] = json_safe(charts.chart_payload(spec, result))
    return _Reply(
        text=f"The last answer as a {spec.type} chart.",
        query_id=last.query_id,
        result=stored,
        reading=follow.reading if follow.reading is not None else last.reading_json,
        standalone_question=last.standalone_question,
        sql=last.sql,
        chart=spec.to_dict(),
    )


def _refusal(detail: str, suggestions: list[str]) -> str:
    shown = [f"“{item}”" for item in suggestions[:MAX_SUGGESTIONS]]
    return detail + (" You could ask: " + "; ".join(shown) + "." if shown else "")


def follow_up_suggestions(message: ChatMessageView) -> list[str]:
    """Follow-ups the page offers under an answer, from its columns: a filter, a size, another chart."""
    result = message.result
    if message.role != ChatRole.ASSISTANT or not result or not result.get("rows"):
        return []
    columns = result.get("columns", [])
    rows = result["rows"]
    ideas: list[str] = []
    chart = (result.get("chart") or {}).get("type")
    if len(rows) > 3:
        ideas.append("top 3")
    if len(rows) > 1:
        ideas.append("sort it descending")
        y = str((result.get("chart") or {}).get("y") or "")
        names = [str(column.get("name", "")) for column in columns]
        parts_of_a_whole = bool(y) and additive_column(y, column_labels(str(result.get("sql") or ""), names).get(y, y))
        pie = chart != "pie" and len(rows) <= 12 and parts_of_a_whole  # never a pie of averages
        ideas.append("as a pie chart" if pie else "as a bar chart")
    text_columns = [index for index, column in enumerate(columns) if column.get("kind") == "text"]
    if text_columns and len(rows) > 1:
        value = rows[0][text_columns[0]]
        if isinstance(value, str) and 0 < len(value) <= 40:
            ideas.append(f"only for {value}")
    return ideas[:MAX_SUGGESTIONS]
