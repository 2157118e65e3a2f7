"""Question -> SQL -> rows: picks the engine, corrects failed SQL, records every attempt in the history.

The LLM engine answers when one is configured (the user's own key or the server's); when it is
unreachable the built-in engine answers and the answer says so. SQL refused by the guard or
rejected by the database goes back to the LLM with the error, up to two more times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError
from sqlmodel import Session

from lumiere import charts
from lumiere.core.engine import Attempt, CannotAnswer, GeneratedSQL, QuestionContext
from lumiere.core.enums import Engine, ExampleOrigin, QueryOrigin, QueryStatus, UsageMetric
from lumiere.core.errors import BadRequest, Invalid, NotFound, QueryRejected, ServiceError
from lumiere.core.limits import MAX_QUESTION_CHARS
from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.db import saved_id
from lumiere.llm.client import LlmUnavailable
from lumiere.llm.engine import LlmEngine
from lumiere.models import Query, Source, User
from lumiere.nlq.engine import BuiltinEngine
from lumiere.nlq.suggestions import suggest_questions
from lumiere.services import examples, result_cache, usage, warehouse
from lumiere.services.explore import Exploration, ExplorationCard, ExplorationCardView, explore, public_card
from lumiere.services.explore_request import has_exploration_intent, read_request
from lumiere.services.history import HistoryEntry, few_shot_examples, get_query, live_source_ids, public_query
from lumiere.services.llm_access import llm_client
from lumiere.services.policy import Action, authorize
from lumiere.services.result_units import annotate_units, source_catalog
from lumiere.services.semantics import semantics_for_engine
from lumiere.services.sources import get_source, table_infos
from lumiere.services.sqlguard import SqlRefused

MAX_SQL_CHARS = 20_000
SELF_CORRECTION_TRIES = 2


@dataclass
class Answer:
    query: Query
    result: ResultSet
    chart: dict[str, Any] | None
    explanation: str = ""
    notes: list[str] = field(default_factory=list)
    exploration: list[ExplorationCard] = field(default_factory=list)
    # The engine's reading of the question (the built-in engine's plan), which a chat follow-up refines.
    reading: dict[str, Any] | None = None


@dataclass(frozen=True)
class AnswerView:
    """The API's `result` object, and what the Ask page shows: the SQL that ran, its rows and chart."""

    query_id: int
    question: str
    sql: str
    engine: Engine
    origin: QueryOrigin
    source_id: int | None
    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    duration_ms: int
    chart: dict[str, Any] | None
    explanation: str
    notes: list[str]
    # A vague request's cards (the first is the answer above); None for an ordinary answer.
    exploration: list[ExplorationCardView] | None = None
    cached: bool = False  # the rows came from the result cache


def public_answer(answer: Answer) -> AnswerView:
    result = answer.result
    return AnswerView(
        query_id=saved_id(answer.query),
        question=answer.query.question,
        sql=answer.query.sql,
        engine=answer.query.engine,
        origin=answer.query.origin,
        source_id=answer.query.source_id,
        columns=list(result.columns),
        rows=result.rows,
        row_count=result.row_count,
        truncated=result.truncated,
        duration_ms=result.duration_ms,
        chart=answer.chart,
        explanation=answer.explanation,
        notes=answer.notes + result.notes,
        exploration=[public_card(card) for card in answer.exploration] if answer.exploration else None,
        cached=result.cached,
    )


def build_context(session: Session, user: User, source: Source) -> QuestionContext:
    return QuestionContext(
        dialect=warehouse.dialect_of(source),
        tables=table_infos(source),
        examples=few_shot_examples(session, user, saved_id(source)),
        find_values=lambda phrases: warehouse.find_values(source, phrases),
        user_id=user.id,
        semantics=semantics_for_engine(source),
        dataset_key=result_cache.dataset_key(source),
    )


def ask_question(
    session: Session,
    user: User,
    *,
    source_id: int,
    question: object,
    on_partial: Callable[[str], None] | None = None,
) -> Answer:
    """Answers a question; `on_partial` gets the LLM's explanation as it writes it (the chat page streams it)."""
    question = _clean_text(question, "question", MAX_QUESTION_CHARS, "Type a question about your data.")
    source = get_source(session, user, source_id, Action.ASK)
    # One question is one query of the plan, however many SQL attempts it takes; a question no
    # engine could read costs nothing.
    with usage.charge(session, user, UsageMetric.QUERIES, refund_on=(CannotAnswer,)):
        return _answer_question(session, user, source, question, on_partial)


def _answer_question(
    session: Session, user: User, source: Source, question: str, on_partial: Callable[[str], None] | None
) -> Answer:
    context = build_context(session, user, source)
    reading = read_request(question, context.tables, context.semantics)
    if reading.vague:  # "show me something interesting": an overview, whichever engine would answer
        unplaced = ", ".join(f"'{word}'" for word in reading.unplaced)
        ignored = [f"Not used for this overview: {unplaced} (not a column or value of this source)."]
        return _answer_with_exploration(session, user, source, question, ignored if unplaced else [])
    notes: list[str] = []
    recalled = examples.recall(session, user, source, question, find_values=context.find_values)
    if recalled is not None:
        try:
            return _answer_with_recalled(session, user, source, question, recalled)
        except ServiceError as error:
            notes.append(
                f"The SQL you {recalled.origin.value} for “{recalled.question}” did not run this time "
                f"({error.detail}), so the engine answered instead."
            )
    client = llm_client(session, user, notes)
    if client is not None:
        try:
            return _answer_with_llm(session, user, source, question, context, LlmEngine(client, on_partial))
        except LlmUnavailable as error:
            notes.append(f"The LLM could not be reached ({error.detail}), so the built-in engine answered.")
    return _answer_with_builtin(session, user, source, question, context, notes)


def run_sql(
    session: Session,
    user: User,
    *,
    source_id: int,
    sql: object,
    question: object = "",
    query_id: int | None = None,
    learn_as: ExampleOrigin | None = ExampleOrigin.EDITED,
) -> Answer:
    """SQL the user wrote or edited: the same guard and sandbox as generated SQL.

    When it answers a question (`question`, or the question of the history entry `query_id`) and
    runs, the pair is remembered for the source (`learn_as`), so the question reuses it next time.
    """
    sql = _clean_text(sql, "sql", MAX_SQL_CHARS, "Write a SELECT statement to run.")
    question = question.strip()[:MAX_QUESTION_CHARS] if isinstance(question, str) else ""
    if query_id is not None and not question:
        question = get_query(session, user, query_id).question
    source = get_source(session, user, source_id, Action.ASK)
    with usage.charge(session, user, UsageMetric.QUERIES):
        answer = _execute_and_record(
            session, user, source, question=question, sql=sql, engine=Engine.USER, origin=QueryOrigin.SQL
        )
    if question and learn_as is not None:
        try:
            examples.remember(session, user, answer.query, answer.query.sql, learn_as)
        except Invalid as error:
            answer.notes.append(error.detail)
        else:
            answer.notes.append(f"Remembered: asking “{question}” again, or with other values, reuses this SQL.")
    return answer


def rerun_query(session: Session, user: User, query_id: int) -> Answer:
    """Runs a history entry's SQL again on current data, as a new history entry with the same chart choice."""
    earlier = get_query(session, user, query_id, Action.ASK)
    source = _source_of(session, user, earlier)
    if not earlier.sql.strip():
        raise Invalid("This history entry has no SQL to run again; ask the question again instead.")
    with usage.charge(session, user, UsageMetric.QUERIES):
        return _execute_and_record(
            session,
            user,
            source,
            question=earlier.question,
            sql=earlier.sql,
            engine=earlier.engine,
            origin=QueryOrigin.RERUN,
            saved_chart=earlier.chart_json,
        )


def result_for_query(session: Session, user: User, query_id: int) -> tuple[Query, ResultSet]:
    """A history entry's rows, re-read from its source (for charts and insights); records nothing."""
    query = get_query(session, user, query_id)
    if query.status != QueryStatus.OK:
        raise Invalid("This query did not succeed, so it has no rows to chart or summarise. Fix it and run it again.")
    source = _source_of(session, user, query)
    return query, _with_units(source, warehouse.execute(source, query.sql))


def chart_for_query(session: Session, user: User, query_id: int) -> dict[str, Any] | None:
    """A history entry's chart as it was chosen, drawn from its rows read again (a saved insight's
    chart); None when the rows cannot be read now (the source is gone or the query fails)."""
    try:
        query, result = result_for_query(session, user, query_id)
    except ServiceError:
        return None
    payload = charts.saved_chart_payload(query, result)
    return payload if payload["type"] != "table" else None


def _with_units(source: Source, result: ResultSet) -> ResultSet:
    """The result with each column's unit, read from the SQL that ran and the source's semantics."""
    return annotate_units(result, source_catalog(source), warehouse.dialect_of(source))


@dataclass(frozen=True)
class OpenedEntry:
    """A history entry as the Ask page reopens it: the entry, plus its answer when its rows could be
    read again, or the error that stopped them (neither when it failed or its source is gone)."""

    entry: HistoryEntry
    answer: AnswerView | None = None
    error: ServiceError | None = None


def open_history_entry(session: Session, user: User, query_id: int) -> OpenedEntry:
    """Reads a successful entry's rows again from its live source; nothing new is recorded."""
    entry = get_query(session, user, query_id)
    live = entry.source_id in live_source_ids(session, user)
    shown = public_query(entry, source_exists=live)
    if entry.status != QueryStatus.OK or not live:
        return OpenedEntry(entry=shown)
    try:
        query, result = result_for_query(session, user, query_id)
    except ServiceError as error:
        return OpenedEntry(entry=shown, error=error)
    answer = Answer(query=query, result=result, chart=charts.saved_chart_payload(query, result))
    answer.exploration = _explored_again(session, user, query)
    return OpenedEntry(entry=shown, answer=public_answer(answer))


def _explored_again(session: Session, user: User, query: Query) -> list[ExplorationCard]:
    """A vague request's cards, read again (so reloading the page keeps them); nothing is recorded."""
    source = _source_of(session, user, query)
    if not read_request(query.question, table_infos(source)).vague:
        return []
    try:
        return explore(session, user, source).cards
    except ServiceError:
        return []  # the entry's own answer still shows


def _source_of(session: Session, user: User, query: Query) -> Source:
    """The query's source, when it still exists and the user may still ask over it."""
    gone = f"The data source '{query.source_name}' of this query was deleted, so it cannot run again."
    source = session.get(Source, query.source_id) if query.source_id is not None else None
    if source is None:
        raise NotFound(gone)
    authorize(session, user, source, Action.ASK, missing=gone)
    return source


def _clean_text(value: object, field_name: str, limit: int, empty_message: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(empty_message, field=field_name)
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"That {field_name} is too long: at most {limit:,} characters.", field=field_name)
    if "\x00" in value:
        raise Invalid(f"The {field_name} contains a NUL character; remove it.", field=field_name)
    return value


def _answer_with_llm(
    session: Session, user: User, source: Source, question: str, context: QuestionContext, engine: LlmEngine
) -> Answer:
    attempts: list[Attempt] = []
    while True:
        try:
            generated = engine.generate(question, context, attempts=attempts)
        except CannotAnswer as error:
            _record_failure(session, user, source, question, "", QueryStatus.REFUSED, error.detail, Engine.LLM)
            raise
        try:
            result = warehouse.execute(source, generated.sql)
        except BadRequest as error:
            attempts.append(Attempt(sql=generated.sql, error=error.detail))
            if len(attempts) <= SELF_CORRECTION_TRIES:
                continue
            status = _failure_status(error)
            _record_failure(session, user, source, question, generated.sql, status, error.detail, Engine.LLM)
            error.detail = f"The LLM's SQL still failed after {len(attempts)} tries: {error.detail}"
            raise
        except ServiceError as error:
            _record_failure(session, user, source, question, generated.sql, QueryStatus.ERROR, error.detail, Engine.LLM)
            raise
        notes = [f"The first {len(attempts)} SQL attempt(s) failed and were corrected."] if attempts else []
        return _record_success(session, user, source, question, generated, result, notes, origin=QueryOrigin.QUESTION)


def _answer_with_recalled(
    session: Session, user: User, source: Source, question: str, recalled: examples.Recalled
) -> Answer:
    """A question the user taught: their pair's SQL (with this question's values) runs, guarded like any SQL.

    The engine is `user`: the user wrote, edited or vouched for this SQL, and no engine read the question.
    """
    result = warehouse.execute(source, recalled.sql)
    generated = GeneratedSQL(sql=recalled.sql, engine=Engine.USER, explanation=recalled.explanation)
    return _record_success(session, user, source, question, generated, result, [], origin=QueryOrigin.QUESTION)


def _answer_with_builtin(
    session: Session, user: User, source: Source, question: str, context: QuestionContext, notes: list[str]
) -> Answer:
    try:
        generated = BuiltinEngine().generate(question, context)
    except CannotAnswer as error:
        if has_exploration_intent(question):  # "what stands out about ...": an overview beats a refusal
            note = f"I could not read all of that question ({error.detail}), so here is an overview of the data."
            focus = read_request(question, context.tables, context.semantics).columns
            try:
                return _answer_with_exploration(session, user, source, question, [*notes, note], focus=focus)
            except Invalid:
                pass  # nothing to explore either: the refusal stands
        _record_failure(session, user, source, question, "", QueryStatus.REFUSED, error.detail, Engine.BUILTIN)
        raise
    try:
        result = warehouse.execute(source, generated.sql)
    except ServiceError as error:
        _record_failure(
            session, user, source, question, generated.sql, _failure_status(error), error.detail, Engine.BUILTIN
        )
        if isinstance(error, QueryRejected):
            # the database rejected the engine's own SQL: the question was misread, not the user's fault
            raise CannotAnswer(
                f"I misread that question: the SQL I built for it does not run on this data ({error.detail}). "
                "Rephrase it with the column names as they appear, or try a suggested question.",
                suggest_questions(context.tables),
            ) from error
        raise
    return _record_success(session, user, source, question, generated, result, notes, origin=QueryOrigin.QUESTION)


def _answer_with_exploration(
    session: Session, user: User, source: Source, question: str, notes: list[str], *, focus: tuple[str, ...] = ()
) -> Answer:
    """The exploration's cards; its first card is recorded as the question's answer (SQL, rows, chart)."""
    exploration = explore(session, user, source, focus=focus)
    first = exploration.cards[0]
    if first.result is None:  # every card that is shown ran; this only keeps the type checker informed
        raise Invalid("This source could not be explored; ask about one of its columns instead.")
    generated = GeneratedSQL(
        sql=first.sql, engine=Engine.BUILTIN, explanation=_exploration_explanation(exploration), chart_hint=first.spec
    )
    answer = _record_success(
        session,
        user,
        source,
        question,
        generated,
        first.result,
        [*notes, *exploration.notes],
        origin=QueryOrigin.QUESTION,
    )
    answer.exploration = exploration.cards
    return answer


def _exploration_explanation(exploration: Exploration) -> str:
    titles = "; ".join(card.title for card in exploration.cards)
    return (
        f"That reads as a request for an overview, so I explored the table {exploration.table} from its profile: "
        f"{titles}. The first card is shown below as the answer; open any card as a question to work on it."
    )


def _execute_and_record(
    session: Session,
    user: User,
    source: Source,
    *,
    question: str,
    sql: str,
    engine: Engine,
    origin: QueryOrigin,
    saved_chart: dict[str, Any] | None = None,
) -> Answer:
    try:
        result = warehouse.execute(source, sql)
    except ServiceError as error:
        status = _failure_status(error)
        _record_failure(session, user, source, question, sql, status, error.detail, engine, origin=origin)
        raise
    generated = GeneratedSQL(sql=sql, engine=engine, chart_hint=saved_chart)
    return _record_success(session, user, source, question, generated, result, [], origin=origin)


def _failure_status(error: ServiceError) -> QueryStatus:
    return QueryStatus.REFUSED if isinstance(error, SqlRefused) else QueryStatus.ERROR


def _display_sql(sql: str, dialect: str) -> str:
    """The SQL as people read it: one statement, pretty-printed (what runs is the guard's rendering).

    SQL sqlglot cannot read, or nests too deeply for its recursive parser and printer, is shown as written.
    Remembered for short SQL: a repeated question shows the same SQL again.
    """
    return _pretty_sql(sql, dialect) if len(sql) <= 20_000 else _pretty(sql, dialect)


@lru_cache(maxsize=1024)
def _pretty_sql(sql: str, dialect: str) -> str:
    return _pretty(sql, dialect)


def _pretty(sql: str, dialect: str) -> str:
    try:
        return sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect, pretty=True)
    except (SqlglotError, RecursionError):
        return sql.strip()


def _record_success(
    session: Session,
    user: User,
    source: Source,
    question: str,
    generated: GeneratedSQL,
    result: ResultSet,
    notes: list[str],
    *,
    origin: QueryOrigin,
) -> Answer:
    result = _with_units(source, result)
    spec = charts.fitting_spec(generated.chart_hint, result) or charts.choose_chart(result, question=question)
    query = Query(
        user_id=saved_id(user),
        workspace_id=source.workspace_id,  # a question over a workspace's source is in that workspace's history
        source_id=source.id,
        source_name=source.name,
        question=question,
        sql=_display_sql(generated.sql, warehouse.dialect_of(source)),
        status=QueryStatus.OK,
        row_count=result.row_count,
        duration_ms=result.duration_ms,
        engine=generated.engine,
        origin=origin,
        note=" ".join(notes) or None,
        chart_json=spec.to_dict(),
    )
    chart = charts.chart_payload(spec, result)  # drawn before the write: a write holds the app database's lock
    session.add(query)
    session.flush()
    return Answer(
        query=query,
        result=result,
        chart=chart,
        explanation=generated.explanation,
        notes=notes,
        reading=generated.reading,
    )


def _record_failure(
    session: Session,
    user: User,
    source: Source,
    question: str,
    sql: str,
    status: QueryStatus,
    error: str,
    engine: Engine,
    *,
    origin: QueryOrigin = QueryOrigin.QUESTION,
) -> None:
    """Failed attempts are history too: committed now, because the caller's transaction is about to roll back."""
    session.add(
        Query(
            user_id=saved_id(user),
            workspace_id=source.workspace_id,
            source_id=source.id,
            source_name=source.name,
            question=question,
            sql=_display_sql(sql, warehouse.dialect_of(source)) if sql else "",
            status=status,
            error=error,
            engine=engine,
            origin=origin,
        )
    )
    session.commit()


def answer_with_generated(
    session: Session, user: User, source: Source, question: str, generated: GeneratedSQL, notes: list[str]
) -> Answer:
    """SQL an engine already wrote for `question` (a chat follow-up written out in full): run through the
    guard and sandbox and recorded in the history exactly like an Ask answer (and counted like one)."""
    with usage.charge(session, user, UsageMetric.QUERIES):
        try:
            result = warehouse.execute(source, generated.sql)
        except ServiceError as error:
            status = _failure_status(error)
            _record_failure(session, user, source, question, generated.sql, status, error.detail, generated.engine)
            raise
    return _record_success(session, user, source, question, generated, result, notes, origin=QueryOrigin.QUESTION)


def answer_with_llm(
    session: Session, user: User, source: Source, question: str, context: QuestionContext, engine: LlmEngine
) -> Answer:
    """Ask's LLM loop (guard, sandbox, up to two self-corrections, history) for another LLM engine,
    such as the chat's, whose first `generate` returns the SQL it already wrote."""
    with usage.charge(session, user, UsageMetric.QUERIES, refund_on=(CannotAnswer,)):
        return _answer_with_llm(session, user, source, question, context, engine)
