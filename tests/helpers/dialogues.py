"""Chat dialogues over real plotly datasets, each turn's answer computed with pandas (issue 12).

Shared by tests/unit/nlq/test_followups.py and bench/chat_eval.py. A dialogue starts with a
first question (answered by `generate`) and goes on with follow-ups read against the previous
answer (`follow_up`). Each turn says what kind of reading it expects and, for a turn that runs
SQL, the rows pandas gives (`ordered` when the order is part of the answer: top N, sorted).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd

from lumiere.core.chat import FollowUp, FollowUpKind, PreviousTurn
from lumiere.core.engine import CannotAnswer, GeneratedSQL, QuestionContext
from lumiere.models import Source
from lumiere.nlq.engine import BuiltinEngine
from lumiere.services import warehouse

Rows: TypeAlias = list[tuple[Any, ...]]
Frame: TypeAlias = pd.DataFrame
FIRST = "first"


@dataclass(frozen=True)
class Turn:
    message: str
    kind: str = FollowUpKind.REFINED  # FIRST for the opening question, else a FollowUpKind
    expected: Callable[[Frame], Rows] | None = None
    ordered: bool = False
    chart: str | None = None  # CHART_ONLY (or a refinement asking for a chart): the chart type


@dataclass(frozen=True)
class Dialogue:
    dataset: str
    turns: tuple[Turn, ...]

    @property
    def name(self) -> str:
        return f"{self.dataset}: " + " / ".join(t.message for t in self.turns)


# --------------------------------------------------------------------------- pandas answers
def by(
    frame: Frame,
    keys: str | list[str],
    measure: str,
    how: str,
    where: Callable[[Frame], Frame] | None = None,
) -> Rows:
    """One row per group: the keys then the measure, as the engine shows them."""
    kept = where(frame) if where else frame
    series = kept.groupby(keys)[measure].agg(how)
    return [(*(key if isinstance(key, tuple) else (key,)), value) for key, value in series.items()]


def ranked(rows: Rows, *, descending: bool = True, limit: int | None = None) -> Rows:
    ordered = sorted(rows, key=lambda row: row[-1], reverse=descending)
    return ordered[:limit] if limit is not None else ordered


def top_rows(frame: Frame, columns: list[str], limit: int) -> Rows:
    """The first rows by the last column, largest first, showing `columns`."""
    return [tuple(row) for row in frame.nlargest(limit, columns[-1])[columns].to_numpy().tolist()]


def per_month(frame: Frame, measure: str) -> Rows:
    """The measure's average per calendar month, keyed by the month's first day as the engine shows it."""
    months = pd.to_datetime(frame["date"]).dt.to_period("M").dt.start_time
    return [(key.date().isoformat(), value) for key, value in frame.groupby(months)[measure].mean().items()]


def one(frame: Frame, measure: str, how: str, where: Callable[[Frame], Frame] | None = None) -> Rows:
    kept = where(frame) if where else frame
    return [(kept[measure].agg(how),)]


def behind(
    frame: Frame, asked: str, measure: str, *, highest: bool = True, where: Callable[[Frame], Frame] | None = None
) -> Rows:
    """The row behind the extreme: the asked column and the measure."""
    kept = where(frame) if where else frame
    row = kept.loc[kept[measure].idxmax() if highest else kept[measure].idxmin()]
    return [(row[asked], row[measure])]


def eq(column: str, value: Any) -> Callable[[Frame], Frame]:
    return lambda f: f[f[column] == value]


def ne(column: str, value: Any) -> Callable[[Frame], Frame]:
    return lambda f: f[f[column] != value]


def both(*filters: Callable[[Frame], Frame]) -> Callable[[Frame], Frame]:
    def kept(frame: Frame) -> Frame:
        for keep in filters:
            frame = keep(frame)
        return frame

    return kept


def gt(column: str, value: float) -> Callable[[Frame], Frame]:
    return lambda f: f[f[column] > value]


def isin(column: str, values: list[Any]) -> Callable[[Frame], Frame]:
    return lambda f: f[f[column].isin(values)]


F, R, C, CL = FIRST, FollowUpKind.REFINED, FollowUpKind.CHART_ONLY, FollowUpKind.CLARIFY
FR = FollowUpKind.FRESH
SMOKER, NON_SMOKER = eq("smoker", "Yes"), eq("smoker", "No")
Y2007, Y1952 = eq("year", 2007), eq("year", 1952)


def _t(message: str, kind: str = R, expected: Callable[[Frame], Rows] | None = None, **more: Any) -> Turn:
    return Turn(message, kind, expected, **more)


DIALOGUES: list[Dialogue] = [
    # ---------------------------------------------------------------- tips
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("only for smokers", R, lambda f: by(f, "day", "tip", "mean", SMOKER)),
            _t("and for non-smokers?", R, lambda f: by(f, "day", "tip", "mean", NON_SMOKER)),
            _t("the maximum instead", R, lambda f: by(f, "day", "tip", "max", NON_SMOKER)),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("split it by sex as well", R, lambda f: by(f, ["day", "sex"], "tip", "mean")),
            _t("per time instead", R, lambda f: by(f, "time", "tip", "mean")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("what was the highest tip", F, lambda f: one(f, "tip", "max")),
            _t("on which day?", R, lambda f: behind(f, "day", "tip")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average total bill by sex", F, lambda f: by(f, "sex", "total_bill", "mean")),
            _t("what about the tip?", R, lambda f: by(f, "sex", "tip", "mean")),
            _t("as a bar chart", C, chart="bar"),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("top 2", R, lambda f: ranked(by(f, "day", "tip", "mean"), limit=2), ordered=True),
            _t(
                "sort it ascending",
                R,
                lambda f: ranked(by(f, "day", "tip", "mean"), descending=False, limit=2),
                ordered=True,
            ),
            _t(
                "show 3 instead",
                R,
                lambda f: ranked(by(f, "day", "tip", "mean"), descending=False, limit=3),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("average total bill by time", FR, lambda f: by(f, "time", "total_bill", "mean")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("and sex?", CL),
            _t("by sex", R, lambda f: by(f, "sex", "tip", "mean")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip for dinner", F, lambda f: one(f, "tip", "mean", eq("time", "Dinner"))),
            _t("what about lunch?", R, lambda f: one(f, "tip", "mean", eq("time", "Lunch"))),
            _t("by day", R, lambda f: by(f, "day", "tip", "mean", eq("time", "Lunch"))),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("make it a pie", C, chart="pie"),
            _t("only for dinner", R, lambda f: by(f, "day", "tip", "mean", eq("time", "Dinner"))),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("maximum total bill", F, lambda f: one(f, "total_bill", "max")),
            _t("for smokers", R, lambda f: one(f, "total_bill", "max", SMOKER)),
            _t("by time", R, lambda f: by(f, "time", "total_bill", "max", SMOKER)),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by size", F, lambda f: by(f, "size", "tip", "mean")),
            _t("when the total bill is over 20", R, lambda f: by(f, "size", "tip", "mean", gt("total_bill", 20))),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("what about the weather?", CL),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("maximum tip by time", F, lambda f: by(f, "time", "tip", "max")),
            _t("the minimum instead", R, lambda f: by(f, "time", "tip", "min")),
            _t("split by day as well", R, lambda f: by(f, ["time", "day"], "tip", "min")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average total bill for smokers", F, lambda f: one(f, "total_bill", "mean", SMOKER)),
            _t("by day", R, lambda f: by(f, "day", "total_bill", "mean", SMOKER)),
            _t("as a line chart", C, chart="line"),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by sex", F, lambda f: by(f, "sex", "tip", "mean")),
            _t("excluding dinner", R, lambda f: by(f, "sex", "tip", "mean", ne("time", "Dinner"))),
            _t("the total instead", R, lambda f: by(f, "sex", "tip", "sum", ne("time", "Dinner"))),
        ),
    ),
    # ---------------------------------------------------------------- gapminder
    Dialogue(
        "gapminder",
        (
            _t(
                "average life expectancy by continent in 2007",
                F,
                lambda f: by(f, "continent", "lifeExp", "mean", Y2007),
            ),
            _t("what about 1952?", R, lambda f: by(f, "continent", "lifeExp", "mean", Y1952)),
            _t("the maximum instead", R, lambda f: by(f, "continent", "lifeExp", "max", Y1952)),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("total population by continent in 2007", F, lambda f: by(f, "continent", "pop", "sum", Y2007)),
            _t(
                "excluding Europe",
                R,
                lambda f: by(f, "continent", "pop", "sum", both(Y2007, ne("continent", "Europe"))),
            ),
            _t("and in 1952?", R, lambda f: by(f, "continent", "pop", "sum", both(Y1952, ne("continent", "Europe")))),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average gdp per capita by continent", F, lambda f: by(f, "continent", "gdpPercap", "mean")),
            _t("only for 2007", R, lambda f: by(f, "continent", "gdpPercap", "mean", Y2007)),
            _t("top 3", R, lambda f: ranked(by(f, "continent", "gdpPercap", "mean", Y2007), limit=3), ordered=True),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("what was the highest life expectancy", F, lambda f: one(f, "lifeExp", "max")),
            _t("in which country?", R, lambda f: behind(f, "country", "lifeExp")),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "average life expectancy per year in Europe",
                F,
                lambda f: by(f, "year", "lifeExp", "mean", eq("continent", "Europe")),
            ),
            _t("what about Asia?", R, lambda f: by(f, "year", "lifeExp", "mean", eq("continent", "Asia"))),
            _t(
                "and Africa as well",
                R,
                lambda f: by(f, "year", "lifeExp", "mean", isin("continent", ["Asia", "Africa"])),
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by continent", F, lambda f: by(f, "continent", "lifeExp", "mean")),
            _t("per year instead", R, lambda f: by(f, "year", "lifeExp", "mean")),
            _t("for Asia", R, lambda f: by(f, "year", "lifeExp", "mean", eq("continent", "Asia"))),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("total population by continent in 2007", F, lambda f: by(f, "continent", "pop", "sum", Y2007)),
            _t("as a pie", C, chart="pie"),
            _t("what about the average gdp per capita?", R, lambda f: by(f, "continent", "gdpPercap", "mean", Y2007)),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy in 2007", F, lambda f: one(f, "lifeExp", "mean", Y2007)),
            _t("by continent", R, lambda f: by(f, "continent", "lifeExp", "mean", Y2007)),
            _t(
                "sort it ascending",
                R,
                lambda f: ranked(by(f, "continent", "lifeExp", "mean", Y2007), descending=False),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("maximum population in 2007", F, lambda f: one(f, "pop", "max", Y2007)),
            _t("in which country?", R, lambda f: behind(f, "country", "pop", where=Y2007)),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "average life expectancy by continent in 2007",
                F,
                lambda f: by(f, "continent", "lifeExp", "mean", Y2007),
            ),
            _t("average gdp per capita by year", FR, lambda f: by(f, "year", "gdpPercap", "mean")),
            _t("only for Europe", R, lambda f: by(f, "year", "gdpPercap", "mean", eq("continent", "Europe"))),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "average life expectancy by continent in 2007",
                F,
                lambda f: by(f, "continent", "lifeExp", "mean", Y2007),
            ),
            _t("what about the population?", R, lambda f: by(f, "continent", "pop", "mean", Y2007)),
            _t(
                "bottom 2",
                R,
                lambda f: ranked(by(f, "continent", "pop", "mean", Y2007), descending=False, limit=2),
                ordered=True,
            ),
        ),
    ),
    # ---------------------------------------------------------------- stocks
    Dialogue(
        "stocks",
        (
            _t("average GOOG", F, lambda f: one(f, "GOOG", "mean")),
            _t("what about AAPL?", R, lambda f: one(f, "AAPL", "mean")),
            _t("the maximum instead", R, lambda f: one(f, "AAPL", "max")),
            _t("the minimum instead", R, lambda f: one(f, "AAPL", "min")),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("maximum AMZN", F, lambda f: one(f, "AMZN", "max")),
            _t("when FB is over 1.1", R, lambda f: one(f, "AMZN", "max", gt("FB", 1.1))),
            _t("median instead", R, lambda f: one(f, "AMZN", "median", gt("FB", 1.1))),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("what was the highest NFLX", F, lambda f: behind(f, "date", "NFLX")),
            _t("what about AAPL?", R, lambda f: behind(f, "date", "AAPL")),
            _t("and the lowest?", R, lambda f: behind(f, "date", "AAPL", highest=False)),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("average MSFT", F, lambda f: one(f, "MSFT", "mean")),
            _t("when GOOG is over 1.1", R, lambda f: one(f, "MSFT", "mean", gt("GOOG", 1.1))),
            _t("what about the weather tomorrow?", CL),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("minimum FB", F, lambda f: one(f, "FB", "min")),
            _t("on which date?", R, lambda f: behind(f, "date", "FB", highest=False)),
        ),
    ),
    # ---------------------------------------------------------------- iris
    Dialogue(
        "iris",
        (
            _t("average sepal length by species", F, lambda f: by(f, "species", "sepal_length", "mean")),
            _t("what about the petal width?", R, lambda f: by(f, "species", "petal_width", "mean")),
            _t("the maximum instead", R, lambda f: by(f, "species", "petal_width", "max")),
            _t("when sepal width is over 3", R, lambda f: by(f, "species", "petal_width", "max", gt("sepal_width", 3))),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("maximum petal length", F, lambda f: one(f, "petal_length", "max")),
            _t("for setosa", R, lambda f: one(f, "petal_length", "max", eq("species", "setosa"))),
            _t("and for virginica?", R, lambda f: one(f, "petal_length", "max", eq("species", "virginica"))),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average petal length by species", F, lambda f: by(f, "species", "petal_length", "mean")),
            _t("top 1", R, lambda f: ranked(by(f, "species", "petal_length", "mean"), limit=1), ordered=True),
            _t("show 2 instead", R, lambda f: ranked(by(f, "species", "petal_length", "mean"), limit=2), ordered=True),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t(
                "average sepal width for versicolor",
                F,
                lambda f: one(f, "sepal_width", "mean", eq("species", "versicolor")),
            ),
            _t("excluding versicolor", R, lambda f: one(f, "sepal_width", "mean", ne("species", "versicolor"))),
            _t("by species", R, lambda f: by(f, "species", "sepal_width", "mean", ne("species", "versicolor"))),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average petal width by species", F, lambda f: by(f, "species", "petal_width", "mean")),
            _t("tell me a joke", CL),
            _t("maximum sepal length by species", FR, lambda f: by(f, "species", "sepal_length", "max")),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average sepal length", F, lambda f: one(f, "sepal_length", "mean")),
            _t("by species", R, lambda f: by(f, "species", "sepal_length", "mean")),
            _t(
                "sort it ascending",
                R,
                lambda f: ranked(by(f, "species", "sepal_length", "mean"), descending=False),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("what was the highest sepal width", F, lambda f: one(f, "sepal_width", "max")),
            _t("which species?", R, lambda f: behind(f, "species", "sepal_width")),
        ),
    ),
    # ---------------------------------------------------------------- medals_long
    Dialogue(
        "medals_long",
        (
            _t("total count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("only for gold", R, lambda f: by(f, "nation", "count", "sum", eq("medal", "gold"))),
            _t("and for silver?", R, lambda f: by(f, "nation", "count", "sum", eq("medal", "silver"))),
            _t(
                "top 1",
                R,
                lambda f: ranked(by(f, "nation", "count", "sum", eq("medal", "silver")), limit=1),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by medal", F, lambda f: by(f, "medal", "count", "sum")),
            _t("for China", R, lambda f: by(f, "medal", "count", "sum", eq("nation", "China"))),
            # a condition on a column already filtered replaces that filter
            _t("excluding Canada", R, lambda f: by(f, "medal", "count", "sum", ne("nation", "Canada"))),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("what was the highest count", F, lambda f: behind(f, "medal", "count")),
            _t("which nation?", R, lambda f: behind(f, "nation", "count")),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("average count by medal", F, lambda f: by(f, "medal", "count", "mean")),
            _t("by nation instead", R, lambda f: by(f, "nation", "count", "mean")),
            _t("the maximum instead", R, lambda f: by(f, "nation", "count", "max")),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("as a pie chart", C, chart="pie"),
            _t("only for bronze", R, lambda f: by(f, "nation", "count", "sum", eq("medal", "bronze"))),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count for South Korea", F, lambda f: one(f, "count", "sum", eq("nation", "South Korea"))),
            _t("what about Canada?", R, lambda f: one(f, "count", "sum", eq("nation", "Canada"))),
            _t("by medal", R, lambda f: by(f, "medal", "count", "sum", eq("nation", "Canada"))),
        ),
    ),
]

# Phrased differently from the dialogues above (other words for the same mechanisms), so the
# table checks the mechanisms rather than sentences.
DIALOGUES += [
    Dialogue(
        "tips",
        (
            _t("mean tip per day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("just smokers", R, lambda f: by(f, "day", "tip", "mean", SMOKER)),
            _t("how about non smokers", R, lambda f: by(f, "day", "tip", "mean", NON_SMOKER)),
            _t("max instead", R, lambda f: by(f, "day", "tip", "max", NON_SMOKER)),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("total tip by day", F, lambda f: by(f, "day", "tip", "sum")),
            _t("break it down by time too", R, lambda f: by(f, ["day", "time"], "tip", "sum")),
            _t("descending", R, lambda f: ranked(by(f, ["day", "time"], "tip", "sum")), ordered=True),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("sum of tips by sex", F, lambda f: by(f, "sex", "tip", "sum")),
            _t("for lunch only", R, lambda f: by(f, "sex", "tip", "sum", eq("time", "Lunch"))),
            _t("the average instead", R, lambda f: by(f, "sex", "tip", "mean", eq("time", "Lunch"))),
            _t("as bars", C, chart="bar"),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average total bill", F, lambda f: one(f, "total_bill", "mean")),
            _t("per day", R, lambda f: by(f, "day", "total_bill", "mean")),
            _t("from highest to lowest", R, lambda f: ranked(by(f, "day", "total_bill", "mean")), ordered=True),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("highest tip", F, lambda f: one(f, "tip", "max")),
            _t("which day was that?", R, lambda f: behind(f, "day", "tip")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("split it by gender as well", R, lambda f: by(f, ["day", "sex"], "tip", "mean")),
            _t("what about the weight?", CL),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("with a total bill under 15", R, lambda f: by(f, "day", "tip", "mean", lambda g: g[g.total_bill < 15])),
            _t("how many rows by time", FR, lambda f: [(k, v) for k, v in f.groupby("time").size().items()]),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by continent", F, lambda f: by(f, "continent", "lifeExp", "mean")),
            _t("just for 1992", R, lambda f: by(f, "continent", "lifeExp", "mean", eq("year", 1992))),
            _t("what about 2002?", R, lambda f: by(f, "continent", "lifeExp", "mean", eq("year", 2002))),
            _t(
                "sorted descending",
                R,
                lambda f: ranked(by(f, "continent", "lifeExp", "mean", eq("year", 2002))),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("population by year for Brazil", F, lambda f: by(f, "year", "pop", "sum", eq("country", "Brazil"))),
            _t("and India?", R, lambda f: by(f, "year", "pop", "sum", eq("country", "India"))),
            _t("as a line chart", C, chart="line"),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "top 10 countries by population in 2007",
                F,
                lambda f: top_rows(f[f.year == 2007], ["country", "pop"], 10),
            ),
            _t("show 20 instead", R, lambda f: top_rows(f[f.year == 2007], ["country", "pop"], 20), ordered=True),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "average life expectancy by continent in 2007",
                F,
                lambda f: by(f, "continent", "lifeExp", "mean", Y2007),
            ),
            _t(
                "excluding Asia and Europe",
                R,
                lambda f: by(
                    f, "continent", "lifeExp", "mean", both(Y2007, ne("continent", "Asia"), ne("continent", "Europe"))
                ),
            ),
            _t(
                "per country instead",
                R,
                lambda f: by(
                    f, "country", "lifeExp", "mean", both(Y2007, ne("continent", "Asia"), ne("continent", "Europe"))
                ),
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by year", F, lambda f: by(f, "year", "lifeExp", "mean")),
            _t(
                "for Americas and Oceania",
                R,
                lambda f: by(f, "year", "lifeExp", "mean", isin("continent", ["Americas", "Oceania"])),
            ),
            _t("and the other one?", CL),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy in 2007", F, lambda f: one(f, "lifeExp", "mean", Y2007)),
            _t("by continent and country", R, lambda f: by(f, ["continent", "country"], "lifeExp", "mean", Y2007)),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("mean AAPL", F, lambda f: one(f, "AAPL", "mean")),
            _t("and MSFT?", R, lambda f: one(f, "MSFT", "mean")),
            _t("in 2019", R, lambda f: one(f, "MSFT", "mean", lambda g: g[g.date.str.startswith("2019")])),
            _t("and 2018?", R, lambda f: one(f, "MSFT", "mean", lambda g: g[g.date.str.startswith("2018")])),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("maximum GOOG", F, lambda f: one(f, "GOOG", "max")),
            _t("when was that?", R, lambda f: behind(f, "date", "GOOG")),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average petal length per species", F, lambda f: by(f, "species", "petal_length", "mean")),
            _t("what about the maximum?", R, lambda f: by(f, "species", "petal_length", "max")),
            _t("count instead", R, lambda f: [(k, v) for k, v in f.groupby("species").size().items()]),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("max sepal width by species", F, lambda f: by(f, "species", "sepal_width", "max")),
            _t("min instead", R, lambda f: by(f, "species", "sepal_width", "min")),
            _t(
                "where sepal length is above 6",
                R,
                lambda f: by(f, "species", "sepal_width", "min", gt("sepal_length", 6)),
            ),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("sum of count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("gold only", R, lambda f: by(f, "nation", "count", "sum", eq("medal", "gold"))),
            _t("and bronze?", R, lambda f: by(f, "nation", "count", "sum", eq("medal", "bronze"))),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("what is the average count by medal", FR, lambda f: by(f, "medal", "count", "mean")),
            _t("lowest first", R, lambda f: ranked(by(f, "medal", "count", "mean"), descending=False), ordered=True),
        ),
    ),
]

DIALOGUES += [
    Dialogue(
        "tips",
        (
            _t("average tip by time", F, lambda f: by(f, "time", "tip", "mean")),
            _t("for female customers", R, lambda f: by(f, "time", "tip", "mean", eq("sex", "Female"))),
            _t("what's the median?", R, lambda f: by(f, "time", "tip", "median", eq("sex", "Female"))),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average total bill by day", F, lambda f: by(f, "day", "total_bill", "mean")),
            _t("give me the top 2", R, lambda f: ranked(by(f, "day", "total_bill", "mean"), limit=2), ordered=True),
            _t("bar chart please", C, chart="bar"),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("reverse the order", R, lambda f: ranked(by(f, "day", "tip", "mean"), descending=False), ordered=True),
            _t("tip by sex", R, lambda f: ranked(by(f, "sex", "tip", "mean"), descending=False), ordered=True),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("number of rows by day", F, lambda f: [(k, v) for k, v in f.groupby("day").size().items()]),
            _t("only lunch", R, lambda f: [(k, v) for k, v in f[f.time == "Lunch"].groupby("day").size().items()]),
            _t(
                "per sex instead of day",
                R,
                lambda f: [(k, v) for k, v in f[f.time == "Lunch"].groupby("sex").size().items()],
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by continent", F, lambda f: by(f, "continent", "lifeExp", "mean")),
            _t("after 2000", R, lambda f: by(f, "continent", "lifeExp", "mean", gt("year", 2000))),
            _t("and before 1970?", R, lambda f: by(f, "continent", "lifeExp", "mean", lambda g: g[g.year < 1970])),
            _t("how about gdp", R, lambda f: by(f, "continent", "gdpPercap", "mean", lambda g: g[g.year < 1970])),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("total population in 2007", F, lambda f: one(f, "pop", "sum", Y2007)),
            _t("for each continent", R, lambda f: by(f, "continent", "pop", "sum", Y2007)),
            _t("the biggest 2", R, lambda f: ranked(by(f, "continent", "pop", "sum", Y2007), limit=2), ordered=True),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("average GOOG in 2019", F, lambda f: one(f, "GOOG", "mean", lambda g: g[g.date.str.startswith("2019")])),
            _t("per month instead", R, lambda f: per_month(f[f.date.str.startswith("2019")], "GOOG")),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average sepal length by species", F, lambda f: by(f, "species", "sepal_length", "mean")),
            _t("and the standard deviation?", R, lambda f: by(f, "species", "sepal_length", "std")),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("without gold", R, lambda f: by(f, "nation", "count", "sum", ne("medal", "gold"))),
            _t("by medal as well", R, lambda f: by(f, ["nation", "medal"], "count", "sum", ne("medal", "gold"))),
        ),
    ),
]

DIALOGUES += [
    Dialogue(
        "tips",
        (
            _t("median total bill by day", F, lambda f: by(f, "day", "total_bill", "median")),
            _t("restrict to dinner", R, lambda f: by(f, "day", "total_bill", "median", eq("time", "Dinner"))),
            _t("switch to lunch", R, lambda f: by(f, "day", "total_bill", "median", eq("time", "Lunch"))),
            _t(
                "limit to 1 row",
                R,
                lambda f: ranked(by(f, "day", "total_bill", "median", eq("time", "Lunch")), limit=1),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("total tip by sex", F, lambda f: by(f, "sex", "tip", "sum")),
            _t("change it to a pie chart", C, chart="pie"),
            _t("and the bill?", R, lambda f: by(f, "sex", "total_bill", "sum")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("largest total bill", F, lambda f: one(f, "total_bill", "max")),
            _t("at what time?", R, lambda f: behind(f, "time", "total_bill")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("total bill per time for smokers", R, lambda f: by(f, "time", "total_bill", "mean", SMOKER)),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by year", F, lambda f: by(f, "year", "lifeExp", "mean")),
            _t("Africa only", R, lambda f: by(f, "year", "lifeExp", "mean", eq("continent", "Africa"))),
            _t("now for Oceania", R, lambda f: by(f, "year", "lifeExp", "mean", eq("continent", "Oceania"))),
            _t("plot it as a line", C, chart="line"),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("average life expectancy by continent", F, lambda f: by(f, "continent", "lifeExp", "mean")),
            _t("for Germany", R, lambda f: by(f, "continent", "lifeExp", "mean", eq("country", "Germany"))),
            _t(
                "and for France and Italy?",
                R,
                lambda f: by(f, "continent", "lifeExp", "mean", isin("country", ["France", "Italy"])),
            ),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("maximum MSFT", F, lambda f: one(f, "MSFT", "max")),
            _t("and the minimum?", R, lambda f: one(f, "MSFT", "min")),
            _t("when?", R, lambda f: behind(f, "date", "MSFT", highest=False)),
        ),
    ),
    Dialogue(
        "stocks",
        (
            _t("average NFLX", F, lambda f: one(f, "NFLX", "mean")),
            _t("what about Amazon?", CL),  # no column or value is called Amazon (the column is AMZN)
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("how many rows are there", F, lambda f: [(len(f),)]),
            _t("by species", R, lambda f: [(k, v) for k, v in f.groupby("species").size().items()]),
            _t(
                "for sepal width above 3.5",
                R,
                lambda f: [(k, v) for k, v in f[f.sepal_width > 3.5].groupby("species").size().items()],
            ),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by medal", F, lambda f: by(f, "medal", "count", "sum")),
            _t("just South Korea", R, lambda f: by(f, "medal", "count", "sum", eq("nation", "South Korea"))),
            _t(
                "what about China and Canada",
                R,
                lambda f: by(f, "medal", "count", "sum", isin("nation", ["China", "Canada"])),
            ),
        ),
    ),
]

DIALOGUES += [
    Dialogue(
        "tips",
        (
            _t("average tip per sex", F, lambda f: by(f, "sex", "tip", "mean")),
            _t("smokers only please", R, lambda f: by(f, "sex", "tip", "mean", SMOKER)),
            _t("and the non smokers", R, lambda f: by(f, "sex", "tip", "mean", NON_SMOKER)),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("max tip by day", F, lambda f: by(f, "day", "tip", "max")),
            _t("let's see the average", R, lambda f: by(f, "day", "tip", "mean")),
            _t("in ascending order", R, lambda f: ranked(by(f, "day", "tip", "mean"), descending=False), ordered=True),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("total bill by day", F, lambda f: by(f, "day", "total_bill", "sum")),
            _t("separately for lunch and dinner", R, lambda f: by(f, ["day", "time"], "total_bill", "sum")),
        ),
    ),
    Dialogue(
        "tips",
        (
            _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
            _t("excluding smokers", R, lambda f: by(f, "day", "tip", "mean", NON_SMOKER)),
            _t("why?", CL),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("mean life expectancy by continent in 1952", F, lambda f: by(f, "continent", "lifeExp", "mean", Y1952)),
            _t("same for 2007", R, lambda f: by(f, "continent", "lifeExp", "mean", Y2007)),
            _t(
                "only the top two",
                R,
                lambda f: ranked(by(f, "continent", "lifeExp", "mean", Y2007), limit=2),
                ordered=True,
            ),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t("total population per year", F, lambda f: by(f, "year", "pop", "sum")),
            _t("in Asia", R, lambda f: by(f, "year", "pop", "sum", eq("continent", "Asia"))),
            _t("as an area chart", C, chart="area"),
        ),
    ),
    Dialogue(
        "gapminder",
        (
            _t(
                "average gdp per capita by continent in 2007",
                F,
                lambda f: by(f, "continent", "gdpPercap", "mean", Y2007),
            ),
            _t(
                "leave out Africa",
                R,
                lambda f: by(f, "continent", "gdpPercap", "mean", both(Y2007, ne("continent", "Africa"))),
            ),
            _t(
                "split by year too",
                R,
                lambda f: by(f, ["continent", "year"], "gdpPercap", "mean", both(Y2007, ne("continent", "Africa"))),
            ),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("average petal length by species", F, lambda f: by(f, "species", "petal_length", "mean")),
            _t("exclude setosa", R, lambda f: by(f, "species", "petal_length", "mean", ne("species", "setosa"))),
            _t(
                "what about the sepal length",
                R,
                lambda f: by(f, "species", "sepal_length", "mean", ne("species", "setosa")),
            ),
        ),
    ),
    Dialogue(
        "iris",
        (
            _t("largest petal width", F, lambda f: one(f, "petal_width", "max")),
            _t("for versicolor only", R, lambda f: one(f, "petal_width", "max", eq("species", "versicolor"))),
            _t("and the smallest?", R, lambda f: one(f, "petal_width", "min", eq("species", "versicolor"))),
        ),
    ),
    Dialogue(
        "medals_long",
        (
            _t("total count by nation", F, lambda f: by(f, "nation", "count", "sum")),
            _t("show just the first one", R, lambda f: ranked(by(f, "nation", "count", "sum"), limit=1), ordered=True),
            _t("what is the average total bill by sex", CL),  # another table's question: nothing here to place
        ),
    ),
]


# --------------------------------------------------------------------------- running a dialogue
@dataclass
class TurnResult:
    dialogue: str
    message: str
    first: bool
    right: bool
    seconds: float
    got: str = ""  # what went wrong, for the report


def _cell(value: Any) -> Any:
    if value in ("Yes", "No"):  # the ingest stores a Yes/No column (tips' smoker) as booleans
        return value == "Yes"
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return value[:10]
    if hasattr(value, "item"):
        value = value.item()
    return value


def same_rows(got: list[list[Any]], expected: Rows, *, ordered: bool) -> bool:
    left = [tuple(_cell(c) for c in row) for row in got]
    right = [tuple(_cell(c) for c in row) for row in expected]
    if len(left) != len(right) or any(len(a) != len(b) for a, b in zip(left, right, strict=False)):
        return False
    if not ordered:
        left, right = sorted(left, key=repr), sorted(right, key=repr)
        if not all(_same_row(a, b) for a, b in zip(left, right, strict=True)):
            # floats that round differently sort differently: match each row to any equal one
            pool = list(right)
            for row in left:
                match = next((other for other in pool if _same_row(row, other)), None)
                if match is None:
                    return False
                pool.remove(match)
            return True
        return True
    return all(_same_row(a, b) for a, b in zip(left, right, strict=True))


def _same_row(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
            if not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-9):
                return False
        elif x != y:
            return False
    return True


def run_dialogue(
    dialogue: Dialogue, frame: Frame, source: Source, context: QuestionContext, engine: BuiltinEngine
) -> list[TurnResult]:
    """Plays the dialogue as the chat service would: each answer that ran SQL is the next turn's
    previous turn; a chart-only answer changes its chart; a clarifying question changes nothing."""
    results: list[TurnResult] = []
    previous: PreviousTurn | None = None
    for turn in dialogue.turns:
        start = time.perf_counter()
        got = ""
        generated: GeneratedSQL | None = None
        reading: dict[str, Any] | None = None
        question = turn.message
        chart: dict[str, Any] | None = None
        kind: str = FIRST
        try:
            if previous is None:
                generated = engine.generate(turn.message, context)
                reading, chart = generated.reading, generated.chart_hint
            else:
                follow: FollowUp = engine.follow_up(turn.message, previous, context)
                kind, generated, reading = str(follow.kind), follow.generated, follow.reading
                question = follow.standalone_question or turn.message
                chart = follow.chart or (generated.chart_hint if generated else None)
                if follow.kind == FollowUpKind.CHART_ONLY:
                    chart = follow.chart
        except CannotAnswer as refusal:
            got = f"refused: {refusal}"
        rows = warehouse.execute(source, generated.sql).rows if generated is not None and not got else None
        seconds = time.perf_counter() - start
        right = False
        if got:
            pass
        elif kind != str(turn.kind):
            got = f"read as {kind}, expected {turn.kind}"
        elif kind == FollowUpKind.CLARIFY:
            right = True
        elif kind == FollowUpKind.CHART_ONLY:
            right = bool(chart) and chart is not None and chart.get("type") == turn.chart
            got = "" if right else f"chart {chart}"
        else:
            assert turn.expected is not None and rows is not None and generated is not None
            right = same_rows(rows, turn.expected(frame), ordered=turn.ordered)
            got = "" if right else f"{generated.sql} -> {rows[:6]}"
        results.append(TurnResult(dialogue.name, turn.message, previous is None, right, seconds, got))
        if not right and previous is None:
            # a wrong first answer leaves nothing to follow up on: its follow-ups count as wrong
            results.extend(
                TurnResult(dialogue.name, later.message, False, False, 0.0, "first turn wrong")
                for later in dialogue.turns[1:]
            )
            break
        if kind == FollowUpKind.CHART_ONLY and previous is not None:
            previous = PreviousTurn(
                previous.question, previous.sql, previous.reading, chart, previous.columns, previous.rows_preview
            )
        elif generated is not None and rows is not None:
            previous = PreviousTurn(question, generated.sql, reading, chart, (), tuple(tuple(r) for r in rows[:5]))
    return results
