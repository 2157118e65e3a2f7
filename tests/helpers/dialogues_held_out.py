"""Dialogues written after the follow-up reader was built and never used to tune it: the held-out
half of the chat benchmark (`bench/chat_eval.py --set held-out`). Other phrasings of the same kinds
of follow-up as tests/helpers/dialogues.py; a miss here is a finding, not a failing test."""

from __future__ import annotations

from tests.helpers.dialogues import (
    C,
    Dialogue,
    F,
    R,
    _t,
    behind,
    both,
    by,
    eq,
    ne,
    one,
    ranked,
)

Y2007 = eq("year", 2007)

HELD_OUT: list[Dialogue] = [
    Dialogue("tips", (
        _t("average tip per day", F, lambda f: by(f, "day", "tip", "mean")),
        _t("just for lunch", R, lambda f: by(f, "day", "tip", "mean", eq("time", "Lunch"))),
        _t("and dinner?", R, lambda f: by(f, "day", "tip", "mean", eq("time", "Dinner"))),
    )),
    Dialogue("tips", (
        _t("total bill by sex", F, lambda f: by(f, "sex", "total_bill", "sum")),
        _t("only smokers", R, lambda f: by(f, "sex", "total_bill", "sum", eq("smoker", "Yes"))),
        _t("make it a pie chart", C, chart="pie"),
    )),
    Dialogue("gapminder", (
        _t("average life expectancy per continent in 2007", F, lambda f: by(f, "continent", "lifeExp", "mean", Y2007)),
        _t("what about 1952?", R, lambda f: by(f, "continent", "lifeExp", "mean", eq("year", 1952))),
        _t("highest first", R, lambda f: ranked(by(f, "continent", "lifeExp", "mean", eq("year", 1952))),
           ordered=True),
    )),
    Dialogue("gapminder", (
        _t("total population by continent in 2007", F, lambda f: by(f, "continent", "pop", "sum", Y2007)),
        _t("excluding Oceania", R,
           lambda f: by(f, "continent", "pop", "sum", both(Y2007, ne("continent", "Oceania")))),
        _t("top 2", R, lambda f: ranked(by(f, "continent", "pop", "sum", both(Y2007, ne("continent", "Oceania"))),
                                         limit=2), ordered=True),
    )),
    Dialogue("iris", (
        _t("average petal length by species", F, lambda f: by(f, "species", "petal_length", "mean")),
        _t("the median instead", R, lambda f: by(f, "species", "petal_length", "median")),
        _t("what about sepal width?", R, lambda f: by(f, "species", "sepal_width", "median")),
    )),
    Dialogue("medals_long", (
        _t("total count by medal", F, lambda f: by(f, "medal", "count", "sum")),
        _t("only for South Korea", R, lambda f: by(f, "medal", "count", "sum", eq("nation", "South Korea"))),
    )),
    Dialogue("stocks", (
        _t("highest AAPL", F, lambda f: one(f, "AAPL", "max")),
        _t("when?", R, lambda f: behind(f, "date", "AAPL")),
    )),
    Dialogue("tips", (
        _t("average tip by size", F, lambda f: by(f, "size", "tip", "mean")),
        _t("for females only", R, lambda f: by(f, "size", "tip", "mean", eq("sex", "Female"))),
    )),
    Dialogue("iris", (
        _t("max sepal length by species", F, lambda f: by(f, "species", "sepal_length", "max")),
        _t("sort it from lowest to highest", R,
           lambda f: ranked(by(f, "species", "sepal_length", "max"), descending=False), ordered=True),
    )),
    Dialogue("gapminder", (
        _t("average gdp per capita by continent", F, lambda f: by(f, "continent", "gdpPercap", "mean")),
        _t("in 1977", R, lambda f: by(f, "continent", "gdpPercap", "mean", eq("year", 1977))),
        _t("and 2002?", R, lambda f: by(f, "continent", "gdpPercap", "mean", eq("year", 2002))),
    )),
    Dialogue("tips", (
        _t("average total bill on Sun", F, lambda f: one(f, "total_bill", "mean", eq("day", "Sun"))),
        _t("what about Sat?", R, lambda f: one(f, "total_bill", "mean", eq("day", "Sat"))),
    )),
    Dialogue("tips", (
        _t("average tip by day", F, lambda f: by(f, "day", "tip", "mean")),
        _t("as a line chart", C, chart="line"),
    )),
    Dialogue("gapminder", (
        _t("total population by year for Asia", F, lambda f: by(f, "year", "pop", "sum", eq("continent", "Asia"))),
        _t("and for Europe?", R, lambda f: by(f, "year", "pop", "sum", eq("continent", "Europe"))),
    )),
    Dialogue("tips", (
        _t("maximum tip per time", F, lambda f: by(f, "time", "tip", "max")),
        _t("use the average", R, lambda f: by(f, "time", "tip", "mean")),
        _t("split by smoker too", R, lambda f: by(f, ["time", "smoker"], "tip", "mean")),
    )),
    Dialogue("gapminder", (
        _t("average life expectancy by continent", F, lambda f: by(f, "continent", "lifeExp", "mean")),
        _t("bottom 2", R, lambda f: ranked(by(f, "continent", "lifeExp", "mean"), descending=False, limit=2),
           ordered=True),
    )),
]
