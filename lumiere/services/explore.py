"""An automatic exploration of a source, like Metabase's X-ray: a vague request gets a few cards.

The cards are picked from the source's column profile (computed at ingest): a trend over the
date or year column, the most common values of a category and a measure's average per category,
the distribution of the main measure, the strongest correlation between measures and the rows
with outlying values. Every card is plain SQL text with quoted identifiers, run through the guard
and the query workers like any question (`warehouse.execute`); its chart is the chart library's
and its sentence comes from the same facts insights use. The work is bounded: at most two
statistics queries and one query per card, each with a row cap, and cards stop being added once
the time budget is spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError
from sqlmodel import Session

from lumiere.charts import ChartSpec, chart_payload, choose_chart, validate_override
from lumiere.core.errors import Invalid, ServiceError
from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.db import saved_id
from lumiere.models import Source, User
from lumiere.services import warehouse
from lumiere.services.explore_plan import CardPlan, ColumnRoles, Stats, plan_cards, read_roles, stats_plan
from lumiere.services.explore_request import is_vague_request as is_vague_request  # the request half
from lumiere.services.facts import compute_facts, format_number
from lumiere.services.markdown_safety import safe_markdown
from lumiere.services.sources import column_profile

logger = logging.getLogger(__name__)
MAX_CARDS = 6
BUDGET_S = 4.0  # no new card starts after this long; a 50k-row upload takes well under 1 s in all
QUERY_TIMEOUT_S = 5.0
# Cards run two at a time: each waits on its query worker most of the time, and two leave the
# pool's other workers free for other people's questions.
PARALLEL_CARDS = 2


@dataclass(frozen=True)
class ExplorationCard:
    """One chart of an exploration: its SQL (which runs as written), rows, chart and a sentence."""

    title: str
    sql: str
    columns: list[ResultColumn]
    rows: list[list[Any]]
    chart: dict[str, Any] | None
    insight_text: str
    kind: str  # trend | categories | breakdown | distribution | correlation | outliers | sample
    spec: dict[str, Any] = field(default_factory=dict, repr=False)  # the chart choice, saved with a history entry
    result: ResultSet | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ExplorationCardView:
    """The API's `exploration` item: what the Ask page shows for a card."""

    title: str
    sql: str
    columns: list[ResultColumn]
    rows: list[list[Any]]
    chart: dict[str, Any] | None
    insight: str


@dataclass(frozen=True)
class Exploration:
    source_id: int
    table: str
    cards: list[ExplorationCard]
    duration_ms: int
    notes: list[str] = field(default_factory=list)


def public_card(card: ExplorationCard) -> ExplorationCardView:
    return ExplorationCardView(
        title=card.title, sql=card.sql, columns=card.columns, rows=card.rows, chart=card.chart,
        insight=card.insight_text,
    )


def explore(
    session: Session, user: User, source: Source, *, focus: tuple[str, ...] = (), budget_s: float = BUDGET_S
) -> Exploration:
    """3-6 cards about the source's largest table, from its profile; the columns in `focus` (named in
    the question) lead their kind of card. Invalid when nothing can be shown."""
    started = time.monotonic()
    profile = column_profile(session, user, saved_id(source))
    table = _largest_table(profile)
    if table is None:
        raise Invalid("This source has no table with rows to explore; add data to it first.")
    dialect = warehouse.dialect_of(source)
    roles = read_roles(table, focus)
    stats = _statistics(source, roles, dialect)
    cards: list[ExplorationCard] = []
    notes: list[str] = []
    waiting = plan_cards(roles, stats, focus)
    with ThreadPoolExecutor(max_workers=PARALLEL_CARDS, thread_name_prefix="explore") as pool:
        while waiting and len(cards) < MAX_CARDS:
            if cards and time.monotonic() - started > budget_s:
                notes.append("The exploration stopped early to stay quick; ask about a column for more.")
                break
            # Just as many cards as are still missing; a card without rows lets the next candidate in.
            batch, waiting = waiting[: MAX_CARDS - len(cards)], waiting[MAX_CARDS - len(cards) :]
            ran = pool.map(lambda plan: _run_card(source, plan, dialect, stats), batch)
            cards += [card for card in ran if card is not None]
    if not cards:
        raise Invalid("Nothing in this table could be charted; ask about one of its columns instead.")
    return Exploration(
        source_id=saved_id(source),
        table=roles.table,
        cards=cards,
        duration_ms=int((time.monotonic() - started) * 1000),
        notes=notes,
    )


def _largest_table(profile: dict[str, Any]) -> dict[str, Any] | None:
    tables = [table for table in profile.get("tables", []) if table.get("columns") and table.get("row_count")]
    return max(tables, key=lambda table: int(table.get("row_count") or 0), default=None)


def _in_dialect(sql: str, dialect: str) -> str:
    """Cards are written in DuckDB's SQL and run as written on uploads; an external database gets them
    translated."""
    if dialect == "duckdb":
        return sql
    try:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    except (SqlglotError, IndexError):
        return sql


def _statistics(source: Source, roles: ColumnRoles, dialect: str) -> Stats:
    """Quartiles, correlations and outlier counts of the measures in one query; a database without
    these functions gets none (its correlation and outlier cards are left out)."""
    plan = stats_plan(roles)
    if plan is None:
        return Stats()
    try:
        result = warehouse.execute(source, _in_dialect(plan.sql, dialect), max_rows=1, timeout_s=QUERY_TIMEOUT_S)
    except ServiceError:
        return Stats()
    return plan.read(result.rows[0]) if result.rows else Stats()


def _run_card(source: Source, plan: CardPlan, dialect: str, stats: Stats) -> ExplorationCard | None:
    sql = _in_dialect(plan.sql, dialect)
    try:
        result = warehouse.execute(source, sql, max_rows=plan.max_rows, timeout_s=QUERY_TIMEOUT_S)
    except ServiceError:
        return None  # one card that cannot run leaves the others
    if not result.rows:
        return None
    try:
        spec = _spec(plan, result)
        chart = chart_payload(spec, result)
        insight = INSIGHTS[plan.kind](plan, result, stats)
    except Exception:  # a card the data trips up is left out (and logged); the others still answer
        logger.exception("Exploration card %r could not be drawn", plan.title)
        return None
    return ExplorationCard(
        title=plan.title,
        sql=sql,
        columns=list(result.columns),
        rows=result.rows,
        chart=chart,
        insight_text=safe_markdown(insight),
        kind=plan.kind,
        spec=spec.to_dict(),
        result=result,
    )


def _spec(plan: CardPlan, result: ResultSet) -> ChartSpec:
    try:
        return validate_override(result, type=plan.chart, x=plan.x, y=plan.y, color=plan.color, title=plan.title)
    except Invalid:
        spec = choose_chart(result, question=plan.title)
        spec.title = plan.title
        return spec


# --- the sentence under each card --------------------------------------------------------------------


def _fact_texts(result: ResultSet, title: str, kinds: tuple[str, ...]) -> list[str]:
    return [str(fact["text"]) for fact in compute_facts(result, question=title) if fact["kind"] in kinds]


def _trend_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    texts = _fact_texts(result, plan.title, ("change", "largest_jump"))
    return " ".join(texts) or f"{plan.title}: {len(result.rows):,} periods."


def _breakdown_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    texts = _fact_texts(result, plan.title, ("top", "bottom"))
    return " ".join(texts) or f"{plan.title}: {len(result.rows):,} groups."


def _categories_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    counts = [(row[0], int(row[1])) for row in result.rows if row[1] is not None]
    total = plan.row_total or sum(count for _, count in counts)
    value, count = counts[0]
    share = count / total * 100 if total else 0.0
    values = f"{plan.x} has {format_number(plan.distinct)} values; the" if plan.distinct else "The"
    text = (
        f"{values} most common is {_label(value)}: {format_number(count)} of {format_number(total)} rows "
        f"({share:.1f}%)."
    )
    if len(counts) > 1:
        last_value, last_count = counts[-1]
        text += f" The least common shown is {_label(last_value)} ({format_number(last_count)} rows)."
    return text


def _distribution_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    counts = [(row[0], int(row[1])) for row in result.rows if row[0] is not None and row[1] is not None]
    total = sum(count for _, count in counts)
    start, count = max(counts, key=lambda item: item[1])
    step = plan.step or 0.0
    share = count / total * 100 if total else 0.0
    text = (
        f"The most common range of {plan.y_source} is {format_number(start)} to {format_number(start + step)}: "
        f"{format_number(count)} of {format_number(total)} rows ({share:.1f}%)."
    )
    if plan.low is not None and plan.high is not None:
        text += f" They range from {format_number(plan.low)} to {format_number(plan.high)}"
        text += f", averaging {format_number(plan.mean)}." if plan.mean is not None else "."
    return text


def _correlation_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    r = plan.r or 0.0
    strength = "strongly" if abs(r) >= 0.7 else "moderately" if abs(r) >= 0.4 else "weakly"
    direction = "together" if r > 0 else "in opposite directions"
    shown = f" (the chart shows the first {len(result.rows):,} rows)" if result.truncated else ""
    return (
        f"{plan.x} and {plan.y} move {strength} {direction}: correlation {r:.2f} over all "
        f"{format_number(plan.row_total)} rows{shown}."
    )


def _outliers_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    column = plan.y_source
    quartiles = stats.quartiles.get(column or "")
    count = result.row_count
    total = plan.row_total or 0
    share = f" ({count / total * 100:.1f}% of {format_number(total)})" if total else ""
    where = ""
    if quartiles is not None:
        low, high = quartiles.fences
        if plan.low is not None and low < plan.low:  # nothing can be unusually low
            where = f" above {format_number(high)}"
        elif plan.high is not None and high > plan.high:
            where = f" below {format_number(low)}"
        else:
            where = f" outside the usual range of {format_number(low)} to {format_number(high)}"
    first = result.rows[0]
    extreme = ", ".join(_label(value) for value in first[:-1] if value is not None)
    about = f" ({extreme})" if extreme else ""
    return (
        f"{format_number(count)} rows{share} have an unusual {column}{where} (more than 1.5 interquartile "
        f"ranges beyond the middle half). The most extreme is {format_number(first[-1])}{about}."
    )


def _sample_insight(plan: CardPlan, result: ResultSet, stats: Stats) -> str:
    return f"The first {len(result.rows):,} of {format_number(plan.row_total)} rows, as stored."


def _label(value: Any) -> str:
    text = " ".join(str(value).split()) if value is not None else "(empty)"
    return text if len(text) <= 60 else text[:59] + "…"


INSIGHTS: dict[str, Callable[[CardPlan, ResultSet, Stats], str]] = {
    "trend": _trend_insight,
    "categories": _categories_insight,
    "breakdown": _breakdown_insight,
    "distribution": _distribution_insight,
    "correlation": _correlation_insight,
    "outliers": _outliers_insight,
    "sample": _sample_insight,
}
