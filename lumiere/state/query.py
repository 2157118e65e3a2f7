"""The Ask page: pick a source, ask (or write SQL), see SQL, rows, chart and insight.

Asking runs in a background event so the page (and everyone else's) stays responsive while a
query runs; the service calls are the same ones the /api/ai routes make.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere import routes
from lumiere.core.engine import CannotAnswer
from lumiere.core.errors import LimitReached, NotFound, ServiceError
from lumiere.models import User
from lumiere.services import ask, feedback, history, sources
from lumiere.services.ask import AnswerView
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import INVALID_LINK, bounded_text, form_text, one_of, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.chart import ChartMixin
from lumiere.state.display import ENGINE_LABELS, STATUS_LABELS, SourceOption, kind_label, short_time
from lumiere.state.exploration import ExplorationMixin
from lumiere.state.insights import InsightMixin
from lumiere.state.result_table import NUMERIC_KINDS, ResultTableMixin
from lumiere.state.schedule_form import ScheduleFormMixin
from lumiere.state.service_calls import Failed

ERROR_HINTS = {
    400: "The SQL was refused or the database rejected it. Rephrase the question, or edit the SQL and run it again.",
    404: "That data source or history entry is not in your account any more. Pick another source.",
    408: "The query ran too long. Ask about fewer rows (add a filter or a limit) and try again.",
    402: "Your plan's monthly queries are used up: switch plans for more, or wait for the new month.",
    413: "The result was too large. Ask for a summary (totals, top 10) instead of every row.",
    422: "Try one of the questions below, or name a column from the data in your question.",
    429: "Too many requests right now; wait a moment and ask again.",
    503: "A service the question needs is unavailable; try again in a minute.",
}


class QueryState(ResultTableMixin, ChartMixin, InsightMixin, ExplorationMixin, ScheduleFormMixin, AuthState):
    """What the Ask page shows; rows stay on the server (see ResultTableMixin)."""

    source_options: list[SourceOption] = []
    selected_source: str = ""
    last_source: str = rx.LocalStorage("", name="lumiere_last_source", sync=True)
    suggestions: list[str] = []
    question: str = ""
    sources_loaded: bool = False

    asking: bool = False
    has_answer: bool = False
    answer_question: str = ""
    answer_sql: str = ""
    answer_engine: str = ""
    answer_explanation: str = ""
    answer_notes: list[str] = []
    answer_source_name: str = ""
    answer_from_history: str = ""

    editing_sql: bool = False
    sql_draft: str = ""

    # The history entry the answer shown is, its thumbs up/down ("up", "down", ""), and whether the SQL
    # editor is open to correct it (running the edited SQL then stores the correction).
    answer_query_id: int = 0
    answer_feedback: str = ""
    correcting: bool = False
    giving_feedback: bool = False

    error_message: str = ""
    error_hint: str = ""
    error_suggestions: list[str] = []
    refused: bool = False  # the engine could not place the question: shown as information, not an error
    limit_reached: bool = False
    failed_sql: str = ""

    @rx.var
    def selected_source_name(self) -> str:
        for option in self.source_options:
            if option.id == self.selected_source:
                return option.name
        return ""

    @rx.var
    def can_ask(self) -> bool:
        return bool(self.selected_source) and bool(self.question.strip()) and not self.asking

    def _schedule_columns(self, query_id: int) -> list[str]:
        """The alert condition offers the shown answer's numeric columns."""
        if query_id != self.answer_query_id:
            return []
        return [column.name for column in self.result_columns if column.kind in NUMERIC_KINDS]

    # ---- loading the page ----------------------------------------------------------

    @rx.event
    async def load(self):
        """on_load: the user's sources, then whatever the URL asks for (?source=&q=, ?query=, ?rerun=)."""
        self.schedule_open = False
        space = self._space()
        listed = await self._call_service(lambda session, user: _source_options(session, user, space))
        if isinstance(listed, Failed):
            return listed.event
        self.source_options, last_asked = listed
        self.sources_loaded = True
        params = self.router.url.query_parameters
        wanted = str(params.get("source", "") or "")
        known = {option.id for option in self.source_options}
        if wanted in known:
            self.selected_source = wanted
        elif self.last_source in known:  # the one last used in this browser
            self.selected_source = self.last_source
        elif last_asked in known:  # else the one last asked about, then the newest
            self.selected_source = last_asked
        elif self.source_options:
            self.selected_source = self.source_options[0].id
        else:
            self.selected_source = ""
        self._reset_answer()
        self.question = bounded_text(params.get("q", ""), ask.MAX_QUESTION_CHARS)
        events: list = [QueryState.load_suggestions]
        if _as_id(params.get("rerun")):
            events.append(QueryState.rerun(_as_id(params.get("rerun"))))  # type: ignore[misc]
        elif _as_id(params.get("query")):
            edit = params.get("edit") == "1"  # History's "Edit SQL": the entry opens in the editor
            events.append(QueryState.open_entry(_as_id(params.get("query")), edit))  # type: ignore[misc]
        elif self.question and self.selected_source:
            events.append(QueryState.ask)
        return events

    def _reset_answer(self) -> None:
        self.has_answer = False
        self.asking = False
        self.editing_sql = False
        self.answer_question = self.answer_sql = self.answer_engine = self.answer_explanation = ""
        self.answer_source_name = self.answer_from_history = ""
        self.answer_notes = []
        self.answer_query_id = 0
        self.answer_feedback = ""
        self.correcting = self.giving_feedback = False
        self._clear_error()
        self._clear_result()
        self._clear_chart()
        self._clear_insight()
        self._clear_exploration()

    def _clear_error(self) -> None:
        self.error_message = self.error_hint = self.failed_sql = ""
        self.error_suggestions = []
        self.limit_reached = self.refused = False

    def _show_error(self, error: ServiceError) -> None:
        self.error_message = error.detail
        self.limit_reached = isinstance(error, LimitReached)
        suggestions = error.extra.get("suggestions") or []
        self.error_suggestions = [str(item) for item in suggestions][:8]
        self.refused = isinstance(error, CannotAnswer)
        # the suggestions are shown once, as buttons: no hint pointing at them as well
        self.error_hint = "" if self.refused and self.error_suggestions else ERROR_HINTS.get(error.status_code, "")

    @rx.event(background=True)
    async def load_suggestions(self):
        async with self:
            source_id = _as_id(self.selected_source)
            if not source_id:
                self.suggestions = []
                return None
        detail = await self._call_service(
            lambda session, user: sources.public_source(sources.get_source(session, user, source_id), detail=True)
        )
        if isinstance(detail, Failed):
            if detail.signed_out:
                return detail.event
            detail = {}
        async with self:
            if _as_id(self.selected_source) == source_id:
                self.suggestions = [str(item) for item in detail.get("suggested_questions", [])][:6]
        return None

    # ---- inputs --------------------------------------------------------------------

    @rx.event
    def choose_source(self, source_id: str):
        if one_of(source_id, {option.id for option in self.source_options}) is not None:
            self.selected_source = source_id
            self.last_source = source_id
            self.suggestions = []
            return QueryState.load_suggestions
        return None

    @rx.event
    def set_question(self, text: str):
        self.question = bounded_text(text, ask.MAX_QUESTION_CHARS)

    @rx.event
    def ask_suggestion(self, text: str):
        self.question = bounded_text(text, ask.MAX_QUESTION_CHARS)
        return QueryState.ask

    @rx.event
    def submit_question(self, form_data: dict):
        if isinstance(form_data, dict) and "question" in form_data:
            self.question = form_text(form_data, "question")[: ask.MAX_QUESTION_CHARS]
        return QueryState.ask

    @rx.event
    def start_editing(self):
        self.sql_draft = self.answer_sql or self.failed_sql
        self.exploration_question = ""
        self.editing_sql = True

    @rx.event
    def cancel_editing(self):
        self.editing_sql = False
        self.correcting = False

    @rx.event
    def set_sql_draft(self, text: str):
        self.sql_draft = bounded_text(text, ask.MAX_SQL_CHARS)

    # ---- asking, running, re-running ---------------------------------------------

    @rx.event(background=True)
    async def ask(self):
        async with self:
            source_id, question = _as_id(self.selected_source), self.question.strip()
            if self.asking or not question:
                return None  # a second Enter while waiting, or nothing typed yet
            if not source_id:
                self._reset_answer()
                self.error_message = "Pick a data source first (or add one on the Data page)."
                return None
            self._start_waiting(question)
        payload = await self._call_service(
            lambda session, user: ask.public_answer(
                ask.ask_question(session, user, source_id=source_id, question=question)
            ),
            Group.QUESTIONS,
        )
        if isinstance(payload, Failed):
            async with self:
                self._finish_with_error(payload.error, sql="")
            return payload.unless_shown_inline()
        async with self:
            self.last_source = str(source_id)
            self._show_answer(payload)
        return [QueryState.generate_insight, _replace_url(payload.query_id)]

    @rx.event(background=True)
    async def run_edited_sql(self):
        """Runs the SQL in the editor; for a question, its pair is stored (edited, or corrected after a thumbs down)."""
        async with self:
            source_id, sql, question = (
                _as_id(self.selected_source),
                self.sql_draft,
                self.exploration_question or self.answer_question or self.question,
            )
            edited_id, correcting = self.answer_query_id, self.correcting and self.answer_query_id > 0
            if self.asking:
                return None
            if not source_id:
                self.error_message = "Pick a data source first."
                return None
            self._start_waiting(question)
            self.editing_sql = True
            self.answer_query_id, self.correcting = edited_id, correcting  # kept if the SQL fails
        if correcting:
            payload = await self._call_service(
                lambda session, user: _corrected_answer(session, user, edited_id, sql), Group.QUESTIONS
            )
        else:
            payload = await self._call_service(
                lambda session, user: ask.public_answer(
                    ask.run_sql(session, user, source_id=source_id, sql=sql, question=question,
                                query_id=edited_id or None)
                ),
                Group.QUESTIONS,
            )
        if isinstance(payload, Failed):
            async with self:
                self._finish_with_error(payload.error, sql=sql)
            return payload.unless_shown_inline()
        async with self:
            self._show_answer(payload)
            self.editing_sql = False
        return [QueryState.generate_insight, _replace_url(payload.query_id)]

    @rx.event(background=True)
    async def give_feedback(self, verdict: str):
        """Thumbs up stores the question's SQL for reuse; thumbs down forgets it and opens the SQL to correct it."""
        if verdict not in ("up", "down"):
            return None
        async with self:
            query_id = self.answer_query_id
            if not query_id or self.giving_feedback or self.asking:
                return None
            self.giving_feedback = True
        judged = await self._call_service(
            lambda session, user: feedback.record_feedback(session, user, query_id, verdict).query.feedback
        )
        async with self:
            self.giving_feedback = False
            if isinstance(judged, Failed):
                return judged.event
            if self.answer_query_id != query_id:
                return None  # another answer is shown by now
            self.answer_feedback = str(judged or "")
            if verdict == "down":
                self.sql_draft = self.answer_sql
                self.editing_sql = self.correcting = True
                return rx.toast.info("Marked wrong. Correct the SQL and run it: it answers this question from now on.")
            self.correcting = False
        return rx.toast.success("Marked right: this question, or the same with other values, will reuse this SQL.")

    @rx.event(background=True)
    async def rerun(self, query_id: int):
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        earlier = await self._call_service(lambda session, user: _rerun_target(session, user, wanted))
        if isinstance(earlier, Failed):
            async with self:
                self._finish_with_error(earlier.error, sql="")
            return earlier.unless_shown_inline()
        question, has_sql, source_id = earlier
        async with self:
            self._select_if_known(source_id)
            self.question = question  # the question box keeps what is re-run
            if not has_sql:  # a question that failed before any SQL was written: ask it again
                return QueryState.ask
            self._start_waiting(question)
        payload = await self._call_service(
            lambda session, user: ask.public_answer(ask.rerun_query(session, user, wanted)), Group.QUESTIONS
        )
        if isinstance(payload, Failed):
            async with self:
                self._finish_with_error(payload.error, sql="")
            return payload.unless_shown_inline()
        async with self:
            self._select_if_known(payload.source_id)
            self._show_answer(payload)
        return [QueryState.generate_insight, _replace_url(payload.query_id)]

    @rx.event(background=True)
    async def open_entry(self, query_id: int, edit: bool = False):
        """/query?query=<id>: a history entry with its rows read again (nothing new is recorded);
        with `edit`, its SQL (a failed one too) opens in the editor."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        async with self:
            self._start_waiting("")
        opened = await self._call_service(lambda session, user: ask.open_history_entry(session, user, wanted))
        if isinstance(opened, Failed):
            async with self:
                self._finish_with_error(opened.error, sql="")
            return opened.unless_shown_inline()
        async with self:
            entry = opened.entry
            self._select_if_known(entry.source_id)
            self.question = entry.question
            if opened.answer is not None:
                self._show_answer(opened.answer)
                self.answer_from_history = short_time(entry.created_at)
                self.answer_feedback = str(entry.feedback or "")
            else:
                self.asking = False
                self.answer_question = entry.question
                self.failed_sql = entry.sql
                if not entry.source_exists:
                    self.error_message = f"The data source '{entry.source_name}' of this entry was deleted."
                    self.error_hint = "Its question and SQL are kept here; ask again on another source."
                elif opened.error is not None:
                    self.error_message = opened.error.detail
                    self.error_hint = ERROR_HINTS.get(opened.error.status_code, "")
                else:
                    label = STATUS_LABELS.get(entry.status, entry.status)
                    self.error_message = f"{label}: {entry.error or 'no rows'}"
                    self.error_hint = ERROR_HINTS.get(400, "")
            if edit is True and entry.source_exists and entry.sql:
                self.sql_draft = entry.sql
                self.editing_sql = True
        if opened.answer is not None:
            return QueryState.load_latest_insight
        return None

    def _select_if_known(self, source_id: Any) -> None:
        if source_id is not None and str(source_id) in {option.id for option in self.source_options}:
            self.selected_source = str(source_id)

    def _start_waiting(self, question: str) -> None:
        self._reset_answer()
        self.asking = True
        self.answer_question = question

    def _finish_with_error(self, error: ServiceError, *, sql: str) -> None:
        if error.status_code == 404 and isinstance(error, NotFound):
            self.source_options = [option for option in self.source_options if option.id != self.selected_source]
        self.asking = False
        self.has_answer = False
        self.failed_sql = sql
        self._show_error(error)

    def _show_answer(self, payload: AnswerView) -> None:
        self.asking = False
        self.has_answer = True
        self._clear_error()
        self.answer_question = payload.question or ""
        self.answer_sql = payload.sql or ""
        self.answer_engine = ENGINE_LABELS.get(payload.engine, "")
        self.answer_explanation = payload.explanation or ""
        self.answer_notes = [str(note) for note in payload.notes]
        self.answer_source_name = self.selected_source_name
        self.sql_draft = self.answer_sql
        self.answer_query_id = int(payload.query_id)
        self.answer_feedback = ""
        self.correcting = False
        self._show_result(
            payload.columns, payload.rows, payload.row_count, payload.truncated, payload.duration_ms, payload.sql or ""
        )
        self._show_chart(payload.query_id, payload.chart, [column.name for column in payload.columns])
        self._prepare_insight(payload.query_id)
        self._show_exploration(payload.exploration)


def _source_options(session: Session, user: User, space: int | None = None) -> tuple[list[SourceOption], str]:
    """The Ask page's source picker (the current space's sources), and the id of the one last asked about."""
    options = [
        SourceOption(id=str(source.id), name=source.name, kind=kind_label(source.kind))
        for source in sources.list_sources(session, user, space)
    ]
    last = history.last_used_source_id(session, user)
    return options, str(last) if last is not None else ""


def _rerun_target(session: Session, user: User, query_id: int) -> tuple[str, bool, int | None]:
    """What re-running a history entry starts from: its question, whether it has SQL, its source."""
    entry = history.get_query(session, user, query_id)
    return entry.question, bool(entry.sql.strip()), entry.source_id


def _corrected_answer(session: Session, user: User, query_id: int, sql: str) -> AnswerView:
    """A thumbs down with the corrected SQL: the same service as POST /api/queries/{id}/feedback."""
    corrected = feedback.record_feedback(session, user, query_id, "down", sql).corrected
    if corrected is None:  # record_feedback always runs the SQL it is given
        raise NotFound("The corrected SQL did not run; try again.")
    return ask.public_answer(corrected)


def _as_id(value: Any) -> int:
    """A positive integer id from a URL or a select, 0 otherwise."""
    return positive_id(value) or 0


def _replace_url(query_id: int) -> EventSpec:
    """Reloading the page then opens this answer from history instead of asking again."""
    return rx.call_script(f"window.history.replaceState(null, '', '{routes.query_url(int(query_id))}')")
