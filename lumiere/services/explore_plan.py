"""Which cards an exploration shows and their SQL, read from a table's column profile (no I/O here).

Columns get roles from the profile: a time (a date column, or a year-like integer), measures
(numbers that are not ids or codes), categories (text or booleans with 2-30 values) and labels
(text with many values, e.g. a name). The SQL is DuckDB text with every identifier quoted;
`explore` runs it through the guard (translated for an external database).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from typing import Any

from lumiere.charts.profile import aggregation_for, as_number, name_tokens
from lumiere.services.profiling import quote_ident

MAX_CATEGORY_VALUES = 30
CATEGORY_ROWS = 10
BREAKDOWN_ROWS = 20
TREND_ROWS = 1000
HISTOGRAM_BINS = 20
SCATTER_ROWS = 500
OUTLIER_ROWS = 10
SAMPLE_ROWS = 10
MAX_STAT_MEASURES = 6
MIN_CORRELATION = 0.3
_ID_TOKENS = frozenset({"id", "code", "iso", "zip", "key", "uuid", "phone", "postcode", "zipcode", "fips"})
_YEAR_TOKENS = frozenset({"year", "yr", "yyyy", "years"})


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str
    low: float | None
    high: float | None
    mean: float | None
    non_null: int


@dataclass(frozen=True)
class Category:
    name: str
    distinct: int
    non_null: int


@dataclass(frozen=True)
class TimeColumn:
    name: str
    kind: str  # date | datetime | integer (a year)
    grain: str  # year (a year-like integer) | day | week | month | quarter | year
    unique: bool  # one row per moment: a time series

    @property
    def year_like(self) -> bool:
        return self.kind == "integer"


@dataclass(frozen=True)
class ColumnRoles:
    table: str
    row_count: int
    times: list[TimeColumn]
    measures: list[Measure]
    categories: list[Category]
    labels: list[str]


@dataclass(frozen=True)
class Quartiles:
    q1: float
    median: float
    q3: float

    @property
    def fences(self) -> tuple[float, float]:
        """Tukey's fences: 1.5 interquartile ranges outside the middle half."""
        spread = self.q3 - self.q1
        return self.q1 - 1.5 * spread, self.q3 + 1.5 * spread


@dataclass(frozen=True)
class Stats:
    quartiles: dict[str, Quartiles] = field(default_factory=dict)
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)
    outliers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CardPlan:
    kind: str
    title: str
    sql: str
    chart: str
    x: str | None = None
    y: str | None = None
    color: str | None = None
    max_rows: int = 1000
    row_total: int = 0
    distinct: int | None = None
    y_source: str | None = None  # the table's column the card is about
    step: float | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    r: float | None = None


# --- roles ----------------------------------------------------------------------------------------


def read_roles(table: dict[str, Any], focus: tuple[str, ...] = ()) -> ColumnRoles:
    """The roles of a profiled table's columns, in the table's column order except that the columns
    in `focus` (named in the question) come first in their role."""
    row_count = int(table.get("row_count") or 0)
    times: list[TimeColumn] = []
    measures: list[Measure] = []
    categories: list[Category] = []
    labels: list[tuple[int, str]] = []
    for column in table.get("columns", []):
        name, kind = str(column["name"]), str(column.get("kind") or "other")
        non_null = row_count - int(column.get("null_count") or 0)
        distinct = int(column.get("distinct_count") or 0)
        tokens = set(name_tokens(name))
        if non_null <= 0 or distinct < 2:
            continue
        if kind in ("date", "datetime"):
            grain = _grain(column.get("min"), column.get("max"))
            times.append(TimeColumn(name, kind, grain, distinct >= non_null))
        elif kind in ("integer", "number"):
            low, high = as_number(column.get("min")), as_number(column.get("max"))
            if kind == "integer" and tokens & _YEAR_TOKENS and low is not None and high is not None and (
                1000 <= low <= high <= 2999
            ):
                times.append(TimeColumn(name, "integer", "year", distinct >= non_null))
            elif not tokens & _ID_TOKENS and not (kind == "integer" and distinct >= non_null > 20):
                measures.append(Measure(name, kind, low, high, as_number(column.get("mean")), non_null))
        elif kind in ("text", "boolean"):
            if distinct <= MAX_CATEGORY_VALUES and 2 * distinct <= non_null:  # values repeat: a grouping
                categories.append(Category(name, distinct, non_null))
            elif kind == "text" and not tokens & _ID_TOKENS:
                labels.append((distinct, name))
    # Categories with at least 3 values tell more than yes/no columns; labels with more values name rows better.
    categories.sort(key=lambda category: (category.name not in focus, category.distinct < 3))
    measures.sort(key=lambda measure: measure.name not in focus)
    times.sort(key=lambda period: period.name not in focus)
    return ColumnRoles(
        table=str(table["name"]),
        row_count=row_count,
        times=times,
        measures=measures,
        categories=categories,
        labels=[name for _, name in sorted(labels, key=lambda item: -item[0])],
    )


def _as_moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def _grain(low: Any, high: Any) -> str:
    """A bucket that gives a readable line: about 10 to 100 points over the column's span."""
    first, last = _as_moment(low), _as_moment(high)
    if first is None or last is None:
        return "month"
    days = (last - first).days
    if days <= 90:
        return "day"
    if days <= 366:
        return "week"
    if days <= 5 * 366:
        return "month"
    if days <= 20 * 366:
        return "quarter"
    return "year"


# --- statistics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsPlan:
    """Quartiles of up to six measures, their pairwise correlations and how many of each measure's
    values lie outside Tukey's fences: one query (the quartiles in a CTE the counts read)."""

    table: str
    measures: list[str]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(combinations(self.measures, 2))

    @property
    def sql(self) -> str:
        parts = []
        for index, name in enumerate(self.measures):
            col = quote_ident(name)
            parts += [
                f"quantile_cont({col}, 0.25) AS {quote_ident(f'q1_{index}')}",
                f"quantile_cont({col}, 0.5) AS {quote_ident(f'median_{index}')}",
                f"quantile_cont({col}, 0.75) AS {quote_ident(f'q3_{index}')}",
            ]
        for first, second in self.pairs:
            a, b = self.measures.index(first), self.measures.index(second)
            parts.append(f"corr({quote_ident(first)}, {quote_ident(second)}) AS {quote_ident(f'r_{a}_{b}')}")
        counts = []
        for index, name in enumerate(self.measures):
            col, q1, q3 = quote_ident(name), quote_ident(f"q1_{index}"), quote_ident(f"q3_{index}")
            spread = f"({q3} - {q1})"
            counts.append(
                f"sum(CASE WHEN {col} < {q1} - 1.5 * {spread} OR {col} > {q3} + 1.5 * {spread} THEN 1 ELSE 0 END) "
                f"AS {quote_ident(f'o_{index}')}"
            )
        table, stats = quote_ident(self.table), quote_ident("stats")
        return (
            f"WITH {stats} AS (SELECT {', '.join(parts)} FROM {table}) "
            f"SELECT {stats}.*, {quote_ident('outside')}.* FROM {stats}, "
            f"(SELECT {', '.join(counts)} FROM {table}, {stats}) AS {quote_ident('outside')}"
        )

    def read(self, row: list[Any]) -> Stats:
        measures = len(self.measures)
        quartiles: dict[str, Quartiles] = {}
        for index, name in enumerate(self.measures):
            q1, median, q3 = (as_number(value) for value in row[3 * index : 3 * index + 3])
            if q1 is not None and median is not None and q3 is not None:
                quartiles[name] = Quartiles(q1, median, q3)
        correlations: dict[tuple[str, str], float] = {}
        for offset, pair in enumerate(self.pairs):
            r = as_number(row[3 * measures + offset])
            if r is not None:
                correlations[pair] = r
        counts = row[3 * measures + len(self.pairs) :]
        outliers = {
            name: int(as_number(count) or 0)
            for name, count in zip(self.measures, counts, strict=True)
            if name in quartiles and quartiles[name].q3 > quartiles[name].q1
        }
        return Stats(quartiles=quartiles, correlations=correlations, outliers=outliers)


def stats_plan(roles: ColumnRoles) -> StatsPlan | None:
    measures = [measure.name for measure in roles.measures[:MAX_STAT_MEASURES]]
    return StatsPlan(roles.table, measures) if measures else None


def _literal(number: float) -> str:
    return str(int(number)) if float(number).is_integer() and abs(number) < 2**53 else repr(float(number))


def _outside(name: str, quartiles: Quartiles) -> str:
    low, high = quartiles.fences
    col = quote_ident(name)
    return f"{col} < {_literal(low)} OR {col} > {_literal(high)}"


# --- cards ----------------------------------------------------------------------------------------


def plan_cards(roles: ColumnRoles, stats: Stats, focus: tuple[str, ...] = ()) -> list[CardPlan]:
    """Candidate cards, most telling first; `explore` keeps the first six that return rows."""
    table = quote_ident(roles.table)
    measures = roles.measures
    plans: list[CardPlan] = []
    if roles.times:
        plans.append(_trend(roles, table, roles.times[0], measures[0] if measures else None))
    if roles.categories:
        plans.append(_categories(table, roles.categories[0]))
        if measures:
            plans.append(_breakdown(table, roles.categories[0], measures[0]))
    histograms = [measure for measure in measures if _step(measure) is not None]
    if histograms:
        plans.append(_distribution(table, histograms[0]))
    correlation = _strongest_pair(stats, focus)
    if correlation is not None:
        plans.append(_correlation(roles, table, *correlation))
    outlying = _most_outlying(roles, stats, focus)
    if outlying is not None:
        plans.append(_outliers(roles, table, outlying, stats.quartiles[outlying.name]))
    # Further cards only fill the grid when the ones above were not possible.
    plans += [_distribution(table, measure) for measure in histograms[1:3]]
    plans += [_categories(table, category) for category in roles.categories[1:3]]
    if focus:  # cards about the columns the question names first
        plans.sort(key=lambda plan: not {plan.x, plan.y, plan.y_source} & set(focus))
    plans.append(
        CardPlan(
            kind="sample",
            title=f"A first look at {roles.table}",
            sql=f"SELECT * FROM {table} LIMIT {SAMPLE_ROWS}",
            chart="table",
            max_rows=SAMPLE_ROWS,
            row_total=roles.row_count,
        )
    )
    return plans


def _aggregate(measure: Measure) -> tuple[str, str]:
    """(SQL, alias): a sum for amounts and counts, an average for rates, prices and scores."""
    col = quote_ident(measure.name)
    if aggregation_for(measure.name) == "mean":
        return f"avg({col})", f"average {measure.name}"
    return f"sum({col})", f"total {measure.name}"


def _trend(roles: ColumnRoles, table: str, period: TimeColumn, measure: Measure | None) -> CardPlan:
    col = quote_ident(period.name)
    if measure is not None and period.unique and roles.row_count <= TREND_ROWS:
        # One row per moment (a time series): the values themselves, nothing to add up or average.
        value = quote_ident(measure.name)
        return CardPlan(
            kind="trend",
            title=f"{measure.name} over {period.name}",
            sql=f"SELECT {col}, {value} FROM {table} WHERE {col} IS NOT NULL ORDER BY 1",
            chart="line",
            x=period.name,
            y=measure.name,
            max_rows=TREND_ROWS,
            row_total=roles.row_count,
            y_source=measure.name,
        )
    if period.year_like:
        x_sql, x_name = col, period.name
    else:
        x_name = period.grain
        x_sql = f"CAST(date_trunc('{period.grain}', {col}) AS DATE) AS {quote_ident(x_name)}"
        if period.kind == "datetime" and period.grain == "day":
            x_sql = f"date_trunc('day', {col}) AS {quote_ident(x_name)}"
    if measure is None:
        y_sql, y_name = "count(*)", "rows"
    else:
        y_sql, y_name = _aggregate(measure)
    title = f"{y_name[0].upper()}{y_name[1:]} by {x_name}"
    return CardPlan(
        kind="trend",
        title=title,
        sql=f"SELECT {x_sql}, {y_sql} AS {quote_ident(y_name)} FROM {table} WHERE {col} IS NOT NULL "
        f"GROUP BY 1 ORDER BY 1",
        chart="line",
        x=x_name,
        y=y_name,
        max_rows=TREND_ROWS,
        row_total=roles.row_count,
        y_source=measure.name if measure else None,
    )


def _categories(table: str, category: Category) -> CardPlan:
    col = quote_ident(category.name)
    return CardPlan(
        kind="categories",
        title=f"Most common {category.name}",
        sql=f"SELECT {col}, count(*) AS {quote_ident('rows')} FROM {table} WHERE {col} IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {CATEGORY_ROWS}",
        chart="bar",
        x=category.name,
        y="rows",
        max_rows=CATEGORY_ROWS,
        row_total=category.non_null,
        distinct=category.distinct,
    )


def _breakdown(table: str, category: Category, measure: Measure) -> CardPlan:
    col, value = quote_ident(category.name), quote_ident(measure.name)
    alias = f"average {measure.name}"
    return CardPlan(
        kind="breakdown",
        title=f"Average {measure.name} by {category.name}",
        sql=f"SELECT {col}, avg({value}) AS {quote_ident(alias)} FROM {table} WHERE {col} IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1 LIMIT {BREAKDOWN_ROWS}",
        chart="bar",
        x=category.name,
        y=alias,
        max_rows=BREAKDOWN_ROWS,
        y_source=measure.name,
    )


def _step(measure: Measure) -> float | None:
    """A round bin width giving about 20 bins over the measure's range (whole numbers for integers)."""
    if measure.low is None or measure.high is None or not measure.high > measure.low:
        return None
    raw = (measure.high - measure.low) / HISTOGRAM_BINS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if measure.kind == "integer":
        step = max(1.0, float(math.ceil(step)))
    return float(step)


def _distribution(table: str, measure: Measure) -> CardPlan:
    step = _step(measure) or 1.0
    col = quote_ident(measure.name)
    digits = max(0, math.ceil(-math.log10(step))) + 1 if step < 1 else 0
    alias = f"{measure.name} from"
    bucket = f"floor({col} / {_literal(step)}) * {_literal(step)}"
    bucket = f"round({bucket}, {digits})" if digits else bucket
    return CardPlan(
        kind="distribution",
        title=f"Distribution of {measure.name}",
        sql=f"SELECT {bucket} AS {quote_ident(alias)}, count(*) AS {quote_ident('rows')} FROM {table} "
        f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 1",
        chart="bar",
        x=alias,
        y="rows",
        max_rows=HISTOGRAM_BINS * 3,
        row_total=measure.non_null,
        y_source=measure.name,
        step=step,
        low=measure.low,
        high=measure.high,
        mean=measure.mean,
    )


def _strongest_pair(stats: Stats, focus: tuple[str, ...]) -> tuple[str, str, float] | None:
    """The most correlated pair of measures (among pairs with a measure the question names, if any)."""
    usable = [(pair, r) for pair, r in stats.correlations.items() if MIN_CORRELATION <= abs(r) < 0.9999]
    if not usable:
        return None
    (first, second), r = max(usable, key=lambda item: (bool(set(item[0]) & set(focus)), abs(item[1])))
    return first, second, r


def _correlation(roles: ColumnRoles, table: str, first: str, second: str, r: float) -> CardPlan:
    a, b = quote_ident(first), quote_ident(second)
    both = min((m.non_null for m in roles.measures if m.name in (first, second)), default=roles.row_count)
    return CardPlan(
        kind="correlation",
        title=f"{second} against {first}",
        sql=f"SELECT {a}, {b} FROM {table} WHERE {a} IS NOT NULL AND {b} IS NOT NULL LIMIT {SCATTER_ROWS}",
        chart="scatter",
        x=first,
        y=second,
        max_rows=SCATTER_ROWS,
        row_total=both,
        r=r,
    )


def _most_outlying(roles: ColumnRoles, stats: Stats, focus: tuple[str, ...]) -> Measure | None:
    """The measure with the largest share of outlying values (a measure the question names first)."""
    counted = [(stats.outliers.get(m.name, 0), m) for m in roles.measures if m.name in stats.quartiles]
    counted = [(count, measure) for count, measure in counted if count > 0]
    if not counted:
        return None
    return max(counted, key=lambda item: (item[1].name in focus, item[0] / max(item[1].non_null, 1)))[1]


def _outliers(roles: ColumnRoles, table: str, measure: Measure, quartiles: Quartiles) -> CardPlan:
    context = roles.labels[:1] + [time.name for time in roles.times[:1]]
    if not context:
        context = [category.name for category in roles.categories[:1]]
    col = quote_ident(measure.name)
    selected = ", ".join([*(quote_ident(name) for name in context), col])
    return CardPlan(
        kind="outliers",
        title=f"Unusual values of {measure.name}",
        sql=f"SELECT {selected} FROM {table} WHERE {_outside(measure.name, quartiles)} "
        f"ORDER BY abs({col} - {_literal(quartiles.median)}) DESC",
        chart="table",
        max_rows=OUTLIER_ROWS,
        row_total=measure.non_null,
        y_source=measure.name,
        low=measure.low,
        high=measure.high,
    )
