"""The Chat page: conversations on the left, the open one's messages, and the focused answer's
table and chart (the Ask page's components, through the same mixins).

Sending runs in a background event so the page stays responsive while the engine works; the
service calls are the ones /api/chat makes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere.core.enums import ChatRole
from lumiere.core.errors import LimitReached
from lumiere.core.limits import MAX_CHAT_MESSAGE_CHARS, MAX_CHAT_TITLE_CHARS
from lumiere.core.resultset import ResultColumn
from lumiere.core.text import plural
from lumiere.models import User
from lumiere.services import chat, sources
from lumiere.services.chat import ChatExchange, ChatMessageView
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import bounded_text, form_text, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.chart import ChartMixin
from lumiere.state.display import SourceOption, kind_label, short_time
from lumiere.state.insights import InsightMixin
from lumiere.state.result_table import NUMERIC_KINDS, ResultTableMixin
from lumiere.state.schedule_form import ScheduleFormMixin
from lumiere.state.service_calls import Failed

STREAM_EVERY_S = 0.15  # how often the words the LLM wrote so far are pushed to the page


@dataclass(frozen=True)
class ConversationRow:
    id: int
    title: str
    source_id: str
    source_name: str
    updated: str
    message_count: int


@dataclass(frozen=True)
class Bubble:
    """One message as the page draws it; an answer's rows stay on the server until it is focused."""

    id: int
    role: str
    text: str
    query_id: int = 0
    sql: str = ""
    has_result: bool = False
    summary: str = ""
    suggestions: list[str] = field(default_factory=list)


def bubble(message: ChatMessageView) -> Bubble:
    result = message.result or {}
    count = int(result.get("row_count", 0) or 0)
    return Bubble(
        id=message.id,
        role=str(message.role),
        text=message.text,
        query_id=message.query_id or 0,
        sql=str(result.get("sql", "")),
        has_result=bool(result),
        summary=plural(count, "row") if result else "",
        suggestions=chat.follow_up_suggestions(message),
    )


class ChatState(ResultTableMixin, ChartMixin, InsightMixin, ScheduleFormMixin, AuthState):
    source_options: list[SourceOption] = []
    new_source: str = ""
    conversations: list[ConversationRow] = []
    search: str = ""
    loaded: bool = False

    session_id: int = 0
    session_source: str = ""  # the open conversation's source id, as text
    bubbles: list[Bubble] = []
    focused_id: int = 0  # the assistant message whose table and chart are shown
    draft: str = ""
    working: bool = False
    pending: str = ""  # the message being answered, shown at once
    streamed: str = ""  # the reply's words so far, while the LLM writes them
    error_message: str = ""
    limit_reached: bool = False

    renaming_id: int = 0
    rename_draft: str = ""
    deleting_id: int = 0

    _results: dict[int, dict[str, Any]] = {}

    @rx.var
    def shown_conversations(self) -> list[ConversationRow]:
        words = self.search.strip().casefold()
        return [row for row in self.conversations if not words or words in row.title.casefold()]

    @rx.var
    def open_title(self) -> str:
        for row in self.conversations:
            if row.id == self.session_id:
                return row.title
        return "New chat"

    @rx.var
    def can_send(self) -> bool:
        return bool(self.draft.strip()) and not self.working and bool(self.session_source or self.new_source)

    @rx.var
    def confirming_delete(self) -> bool:
        return self.deleting_id > 0

    def _schedule_columns(self, query_id: int) -> list[str]:
        """The alert condition offers the numeric columns of the answer being scheduled."""
        for result in self._results.values():
            if int(result.get("query_id", 0) or 0) == query_id:
                return [str(column.get("name")) for column in result.get("columns", [])
                        if column.get("kind") in NUMERIC_KINDS]
        return []

    # ---- loading ----------------------------------------------------------------------

    @rx.event
    async def load(self):
        self.schedule_open = False
        space = self._space()
        listed = await self._call_service(lambda session, user: _page_data(session, user, space))
        if isinstance(listed, Failed):
            return listed.event
        self.source_options, self.conversations = listed
        self.loaded = True
        if self.new_source not in {option.id for option in self.source_options}:
            self.new_source = self.source_options[0].id if self.source_options else ""
        wanted = positive_id(self.router.url.query_parameters.get("session"))
        if wanted:
            return ChatState.open_conversation(wanted)  # type: ignore[misc]
        self._start_new()
        return None

    @rx.event(background=True)
    async def refresh_conversations(self):
        space = self._space()
        listed = await self._call_service(lambda session, user: _page_data(session, user, space))
        if isinstance(listed, Failed):
            return listed.unless_shown_inline()
        async with self:
            self.source_options, self.conversations = listed
        return None

    @rx.event(background=True)
    async def open_conversation(self, session_id: int):
        wanted = positive_id(session_id)
        if wanted is None:
            return None
        messages = await self._call_service(lambda session, user: chat.history(session, user, wanted))
        if isinstance(messages, Failed):
            return messages.event
        async with self:
            self._start_new()
            self.session_id = wanted
            self._show_messages(messages)
            self.session_source = next((row.source_id for row in self.conversations if row.id == wanted), "")
        return [_scroll_to_end(), ChatState.load_latest_insight]

    @rx.event
    def new_chat(self):
        self._start_new()
        return rx.set_focus("chat-message")

    def _start_new(self) -> None:
        self.session_id = 0
        self.session_source = ""
        self.bubbles = []
        self._results = {}
        self.focused_id = 0
        self.pending = self.error_message = self.streamed = ""
        self.working = False
        self._clear_result()
        self._clear_chart()
        self._clear_insight()

    def _show_messages(self, messages: list[ChatMessageView]) -> None:
        self.bubbles = [bubble(message) for message in messages]
        self._results = {m.id: m.result for m in messages if m.result}
        answers = [m.id for m in messages if m.role == ChatRole.ASSISTANT and m.result]
        self._focus(answers[-1] if answers else 0)

    def _focus(self, message_id: int) -> None:
        result = self._results.get(message_id)
        self.focused_id = message_id if result else 0
        if not result:
            self._clear_result()
            self._clear_chart()
            self._clear_insight()
            return
        columns = [ResultColumn(**column) for column in result.get("columns", [])]
        self._show_result(
            columns,
            result.get("rows", []),
            int(result.get("row_count", 0)),
            bool(result.get("truncated")),
            int(result.get("duration_ms", 0)),
            str(result.get("sql") or ""),
        )
        self._show_chart(int(result.get("query_id", 0)), result.get("chart"), [column.name for column in columns])
        self._prepare_insight(int(result.get("query_id", 0)))

    @rx.event
    def focus_answer(self, message_id: int):
        wanted = positive_id(message_id)
        if wanted is not None:
            self._focus(wanted)
            return ChatState.load_latest_insight
        return None

    # ---- inputs -----------------------------------------------------------------------

    @rx.event
    def set_search(self, text: str):
        self.search = bounded_text(text, MAX_CHAT_TITLE_CHARS)

    @rx.event
    def set_draft(self, text: str):
        self.draft = bounded_text(text, MAX_CHAT_MESSAGE_CHARS)

    @rx.event
    def choose_source(self, source_id: str):
        if isinstance(source_id, str) and source_id in {option.id for option in self.source_options}:
            self.new_source = source_id

    @rx.event
    def use_suggestion(self, text: str):
        self.draft = bounded_text(text, MAX_CHAT_MESSAGE_CHARS)
        return ChatState.send

    @rx.event
    def submit(self, form_data: dict):
        if isinstance(form_data, dict) and "message" in form_data:
            self.draft = form_text(form_data, "message")[:MAX_CHAT_MESSAGE_CHARS]
        return ChatState.send

    # ---- sending ----------------------------------------------------------------------

    @rx.event(background=True)
    async def send(self):
        async with self:
            message = self.draft.strip()
            if self.working or not message:
                return
            source_id = positive_id(self.session_source or self.new_source)
            if source_id is None:
                self.error_message = "Pick a data source first (or add one on the Data page)."
                return
            session_id = self.session_id or None
            self.working = True
            self.pending = message
            self.draft = ""
            self.error_message = ""
            self.limit_reached = False
        yield _scroll_to_end()
        words = [""]  # written by the worker thread, read here: the reply so far

        def heard(text: str) -> None:
            words[0] = text

        call = asyncio.ensure_future(
            self._call_service(
                lambda session, user: chat.send_message(
                    session, user, source_id=source_id, message=message, session_id=session_id, on_partial=heard
                ),
                Group.QUESTIONS,
            )
        )
        shown = ""
        while not call.done():
            await asyncio.wait({call}, timeout=STREAM_EVERY_S)
            if words[0] != shown:
                shown = words[0]
                async with self:
                    self.streamed = shown
        exchange = call.result()
        async with self:
            self.working = False
            self.pending = self.streamed = ""
            if isinstance(exchange, Failed):
                self.draft = message
                self.error_message = exchange.message
                self.limit_reached = isinstance(exchange.error, LimitReached)
            else:
                self._add_exchange(exchange, str(source_id))
        if isinstance(exchange, Failed):
            event = exchange.unless_shown_inline()  # signed out, or a toast with the rate limit's wait
            if event is not None:
                yield event
            return
        yield [ChatState.refresh_conversations, _scroll_to_end(), ChatState.load_latest_insight]

    def _add_exchange(self, exchange: ChatExchange, source_id: str) -> None:
        self.session_id = exchange.session_id
        self.session_source = source_id
        self.bubbles = [*self.bubbles, bubble(exchange.user_message), bubble(exchange.reply)]
        if exchange.reply.result:
            self._results = {**self._results, exchange.reply.id: exchange.reply.result}
            self._focus(exchange.reply.id)

    # ---- rename and delete ------------------------------------------------------------

    @rx.event
    def start_rename(self, session_id: int, title: str):
        self.renaming_id = positive_id(session_id) or 0
        self.rename_draft = bounded_text(title, MAX_CHAT_TITLE_CHARS)

    @rx.event
    def cancel_rename(self):
        self.renaming_id = 0

    @rx.event(background=True)
    async def submit_rename(self, form_data: dict):
        title = form_text(form_data, "title") if isinstance(form_data, dict) else ""
        async with self:
            session_id = self.renaming_id
        if not session_id:
            return None
        renamed = await self._call_service(lambda session, user: chat.rename(session, user, session_id, title))
        if isinstance(renamed, Failed):
            return renamed.event
        async with self:
            self.renaming_id = 0
        return ChatState.refresh_conversations

    @rx.event
    def ask_delete(self, session_id: int):
        self.deleting_id = positive_id(session_id) or 0

    @rx.event
    def cancel_delete(self):
        self.deleting_id = 0

    @rx.event(background=True)
    async def confirm_delete(self):
        async with self:
            session_id = self.deleting_id
            self.deleting_id = 0
        if not session_id:
            return None
        done = await self._call_service(lambda session, user: chat.delete(session, user, session_id))
        if isinstance(done, Failed):
            return done.event
        async with self:
            if self.session_id == session_id:
                self._start_new()
        return [ChatState.refresh_conversations, rx.toast.success("Conversation deleted.")]


def _page_data(
    session: Session, user: User, space: int | None = None
) -> tuple[list[SourceOption], list[ConversationRow]]:
    """The current space's sources (the picker) and conversations (the list)."""
    listed = sources.list_sources(session, user, space)
    names = {source.id: source.name for source in listed}
    options = [SourceOption(id=str(source.id), name=source.name, kind=kind_label(source.kind)) for source in listed]
    rows = [
        ConversationRow(
            id=item.id,
            title=item.title,
            source_id=str(item.source_id or ""),
            source_name=names.get(item.source_id, "deleted source") if item.source_id else "",
            updated=short_time(item.updated_at),
            message_count=item.message_count,
        )
        for item in chat.list_sessions(session, user, workspace_id=space)
    ]
    return options, rows


def _scroll_to_end() -> Any:
    return rx.call_script(
        "setTimeout(() => { const end = document.getElementById('chat-end'); "
        "if (end) { end.scrollIntoView({behavior: 'smooth', block: 'end'}); } }, 50)"
    )
