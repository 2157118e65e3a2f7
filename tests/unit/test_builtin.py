"""The built-in engine on real plotly datasets, uploaded through the real ingest and queried
through the guarded warehouse: every answer is compared with what pandas computes."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.data
import pytest
import sqlglot
from sqlglot import exp

from lumiere.config import reset_settings
from lumiere.core.engine import CannotAnswer, ColumnInfo, GeneratedSQL, QuestionContext, TableInfo
from lumiere.models import Source
from lumiere.nlq.engine import BuiltinEngine
from lumiere.services import warehouse
from lumiere.services.ingest import ingest_csv_file
from lumiere.storage.datasets import path_for_key


@dataclass
class Dataset:
    frame: pd.DataFrame
    source: Source
    info: TableInfo

    def context(self, dialect: str = "duckdb") -> QuestionContext:
        return QuestionContext(
            dialect=dialect,
            tables=[self.info],
            find_values=lambda phrases: warehouse.find_values(self.source, phrases),
        )


def upload(frame: pd.DataFrame, name: str, folder: Path) -> Dataset:
    """What an upload does: the CSV goes through the ingest into its own DuckDB file."""
    csv = folder / f"{name}.csv"
    frame.to_csv(csv, index=False)
    key = f"1/{secrets.token_hex(16)}.duckdb"
    dest = path_for_key(key)
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = ingest_csv_file(csv, dest=dest, table_name=name)
    columns = result.profile["columns"]
    source = Source(
        id=1,
        user_id=1,
        name=name,
        kind="csv",
        table_name=name,
        storage_key=key,
        row_count=result.row_count,
        tables_json=[
            {
                "name": name,
                "row_count": result.row_count,
                "columns": [{"name": c["name"], "type": c["type"]} for c in columns],
            }
        ],
    )
    info = TableInfo(
        name=name,
        row_count=result.row_count,
        columns=[
            ColumnInfo(
                name=c["name"],
                type=c["type"],
                kind=c["kind"],
                samples=list(c.get("samples") or [])[:5],
                distinct_count=c.get("distinct_count"),
                null_count=c.get("null_count"),
                min=c.get("min"),
                max=c.get("max"),
            )
            for c in columns
        ],
    )
    return Dataset(frame, source, info)


def uploaded(tmp_path_factory: pytest.TempPathFactory, frames: dict[str, pd.DataFrame]) -> Iterator[dict[str, Dataset]]:
    """Each frame uploaded through the real ingest into a data dir of its own, for a module's tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LUMIERE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        reset_settings()
        folder = tmp_path_factory.mktemp("csv")
        yield {name: upload(frame, name, folder) for name, frame in frames.items()}
    reset_settings()


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {
        "tips": plotly.data.tips(),
        "gapminder": plotly.data.gapminder(),
        "iris": plotly.data.iris(),
        "stocks": plotly.data.stocks(),
        "election": plotly.data.election(),
        "medals_long": plotly.data.medals_long(),
        "experiment": plotly.data.experiment(),
    })


ENGINE = BuiltinEngine()


def ask(dataset: Dataset, question: str) -> tuple[GeneratedSQL, list[list[Any]]]:
    generated = ENGINE.generate(question, dataset.context())
    assert generated.engine == "builtin"
    assert generated.explanation
    return generated, warehouse.execute(dataset.source, generated.sql).rows


def scalar(dataset: Dataset, question: str) -> Any:
    _, rows = ask(dataset, question)
    assert len(rows) == 1, rows
    numbers = [cell for cell in rows[0] if isinstance(cell, int | float) and not isinstance(cell, bool)]
    return numbers[-1] if numbers else rows[0][0]


def close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def as_mapping(rows: list[list[Any]], key_index: int, value_index: int) -> dict[Any, float]:
    return {row[key_index]: row[value_index] for row in rows}


def same_mapping(got: dict[Any, float], expected: pd.Series) -> bool:
    return set(got) == set(expected.index) and all(close(got[k], expected[k]) for k in expected.index)


# --------------------------------------------------------------------------- counts and aggregates
@pytest.mark.parametrize(
    "question",
    ["How many rows are there?", "How many records does the table have?", "count the rows", "Number of rows?"],
)
def test_row_counts(datasets, question):
    tips = datasets["tips"]
    assert scalar(tips, question) == len(tips.frame)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the average tip?", lambda f: f.tip.mean()),
        ("mean tip", lambda f: f.tip.mean()),
        ("What is the total of the total bill?", lambda f: f.total_bill.sum()),
        ("What is the sum of the total bill at dinner?", lambda f: f[f.time == "Dinner"].total_bill.sum()),
        ("What is the highest tip?", lambda f: f.tip.max()),
        ("What's the minimum total bill?", lambda f: f.total_bill.min()),
        ("What is the median tip?", lambda f: f.tip.median()),
        ("What is the standard deviation of the tip?", lambda f: f.tip.std()),
        ("What is the average tip for women?", lambda f: f[f.sex == "Female"].tip.mean()),
        (
            "average tip of male smokers on Saturday",
            lambda f: f[(f.sex == "Male") & f.smoker.eq("Yes") & (f.day == "Sat")].tip.mean(),
        ),
        ("How many tips were given on Sunday?", lambda f: (f.day == "Sun").sum()),
        ("How many smokers are there?", lambda f: (f.smoker == "Yes").sum()),
        ("How many female non-smokers?", lambda f: ((f.sex == "Female") & (f.smoker == "No")).sum()),
        ("How many rows have a size between 3 and 5?", lambda f: f["size"].between(3, 5).sum()),
        ("How many bills are over 40?", lambda f: (f.total_bill > 40).sum()),
        ("How many tips of at least 5 are there?", lambda f: (f.tip >= 5).sum()),
        ("How many parties of more than 4 people?", None),
        ("how many different days are there?", lambda f: f.day.nunique()),
    ],
)
def test_tips_single_numbers(datasets, question, expected):
    tips = datasets["tips"]
    if expected is None:
        with pytest.raises(CannotAnswer):
            ENGINE.generate(question, tips.context())
        return
    assert close(scalar(tips, question), expected(tips.frame))


@pytest.mark.parametrize(
    "question",
    [
        "What is the average tip for each day?",
        "average tip by day",
        "Average tip per day",
        "For each day, what is the mean tip?",
    ],
)
def test_group_by_one_column(datasets, question):
    tips = datasets["tips"]
    generated, rows = ask(tips, question)
    assert same_mapping(as_mapping(rows, 0, 1), tips.frame.groupby("day").tip.mean())
    assert generated.chart_hint == {"type": "bar", "x": "day", "y": "avg_tip"}


def test_group_by_two_columns(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "Average tip by sex and smoker")
    expected = tips.frame.groupby(["sex", "smoker"]).tip.mean()
    got = {(row[0], "Yes" if row[1] is True else "No" if row[1] is False else row[1]): row[2] for row in rows}
    assert set(got) == set(expected.index)
    assert all(close(got[key], expected[key]) for key in expected.index)


def test_count_per_group_and_most_common(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "How many rows are there for each day?")
    assert same_mapping(as_mapping(rows, 0, 1), tips.frame.day.value_counts())
    _, rows = ask(tips, "What is the most common day?")
    assert rows[0][0] == tips.frame.day.value_counts().idxmax()


def test_which_group_has_the_highest_average(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "Which day has the highest average tip?")
    assert len(rows) == 1 and rows[0][0] == tips.frame.groupby("day").tip.mean().idxmax()


def test_top_n_rows(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "What are the 5 largest total bills?")
    assert [row[-1] for row in rows] == sorted(tips.frame.total_bill, reverse=True)[:5]
    _, rows = ask(tips, "show the 3 smallest tips")
    assert [row[-1] for row in rows] == sorted(tips.frame.tip)[:3]


def test_rows_matching_a_filter(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "Show the rows where tip is over 5")
    assert len(rows) == (tips.frame.tip > 5).sum()
    assert len(rows[0]) == tips.frame.shape[1]


def test_shares(datasets):
    tips = datasets["tips"]
    generated, rows = ask(tips, "What share of rows are from each day?")
    expected = tips.frame.day.value_counts(normalize=True) * 100
    assert all(abs(row[1] - expected[row[0]]) < 0.01 for row in rows) and len(rows) == len(expected)
    assert generated.chart_hint is not None and generated.chart_hint["type"] == "pie"
    share = scalar(tips, "What percentage of rows are smokers?")
    assert abs(share - (tips.frame.smoker == "Yes").mean() * 100) < 0.01


def test_two_measures_against_each_other(datasets):
    tips = datasets["tips"]
    generated, rows = ask(tips, "tip vs total bill")
    assert len(rows) == len(tips.frame)
    assert generated.chart_hint == {"type": "scatter", "x": "tip", "y": "total_bill"}


def ranked(counts: pd.Series) -> list[tuple[Any, float]]:
    """A grouped answer's expected rows: the measure high to low, ties by the label."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def rows_as_pairs(rows: list[list[Any]]) -> list[tuple[Any, float]]:
    return [(row[0], row[1]) for row in rows]


def same_pairs(got: list[tuple[Any, float]], expected: list[tuple[Any, float]]) -> bool:
    return len(got) == len(expected) and all(
        a[0] == b[0] and close(a[1], b[1]) for a, b in zip(got, expected, strict=True)
    )


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("How many rows are there for each day?", lambda f: f.groupby("day").size()),
        ("average tip by day", lambda f: f.groupby("day").tip.mean()),
        ("What is the total tip per sex?", lambda f: f.groupby("sex").tip.sum()),
        ("maximum total bill for each day", lambda f: f.groupby("day").total_bill.max()),
    ],
)
def test_groups_of_labels_are_ranked_by_their_measure(datasets, question, measure):
    tips = datasets["tips"]
    generated, rows = ask(tips, question)
    assert same_pairs(rows_as_pairs(rows), ranked(measure(tips.frame)))
    assert "ORDER BY" in generated.sql


def test_groups_with_a_natural_order_keep_it(datasets):
    tips, gap = datasets["tips"], datasets["gapminder"]
    _, rows = ask(tips, "average tip by size")
    assert same_pairs(rows_as_pairs(rows), list(tips.frame.groupby("size").tip.mean().sort_index().items()))
    _, rows = ask(gap, "total population by year")
    assert same_pairs(rows_as_pairs(rows), list(gap.frame.groupby("year")["pop"].sum().sort_index().items()))


def test_an_order_the_question_asks_for_wins(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "How many rows are there for each day, sorted alphabetically?")
    assert same_pairs(rows_as_pairs(rows), list(tips.frame.groupby("day").size().sort_index().items()))
    generated, rows = ask(tips, "average tip per day ordered by day")
    assert [row[0] for row in rows] == sorted(tips.frame.day.unique())
    assert generated.sql.count('"day" ASC') == 1


def test_several_group_keys_rank_with_the_keys_breaking_ties(datasets):
    tips = datasets["tips"]
    _, rows = ask(tips, "number of rows by sex and day")
    counts = tips.frame.groupby(["sex", "day"]).size()
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert [((row[0], row[1]), row[2]) for row in rows] == expected


@pytest.mark.parametrize(
    "question",
    [
        "average tip by day",
        "How many rows are there for each day?",
        "average life expectancy per continent in 2007",
        "total population by continent and year",
        "What is the total tip per sex?",
    ],
)
def test_grouped_answers_show_the_groups_first(datasets, question):
    dataset = datasets["gapminder"] if "continent" in question else datasets["tips"]
    generated = ENGINE.generate(question, dataset.context())
    select = sqlglot.parse_one(generated.sql, read="duckdb")
    kinds = [isinstance(projection.unalias(), exp.AggFunc) for projection in select.expressions]
    assert select.args.get("group") is not None
    assert kinds == sorted(kinds) and not kinds[0] and kinds[-1]


# --------------------------------------------------------------------------- gapminder: years, values, trends
def test_filters_on_values_and_years(datasets):
    gap = datasets["gapminder"]
    frame = gap.frame
    assert close(
        scalar(gap, "What was the life expectancy of Japan in 2002?"),
        frame[(frame.country == "Japan") & (frame.year == 2002)].lifeExp.iloc[0],
    )
    assert scalar(gap, "How many countries are in Europe?") == frame[frame.continent == "Europe"].country.nunique()
    _, rows = ask(gap, "countries with a life expectancy over 80 in 2007")
    assert {row[0] for row in rows} == set(frame[(frame.lifeExp > 80) & (frame.year == 2007)].country)


def test_group_with_a_year_filter(datasets):
    gap = datasets["gapminder"]
    frame = gap.frame
    _, rows = ask(gap, "What is the average life expectancy per continent in 2007?")
    assert same_mapping(as_mapping(rows, 0, 1), frame[frame.year == 2007].groupby("continent").lifeExp.mean())


def test_superlatives_pick_the_right_row_or_group(datasets):
    gap = datasets["gapminder"]
    frame = gap.frame
    latest = frame[frame.year == 2007]
    _, rows = ask(gap, "Which country has the highest gdp per capita in 2007?")
    assert rows[0][0] == latest.loc[latest.gdpPercap.idxmax(), "country"]
    _, rows = ask(gap, "Which continent has the largest total population in 2007?")
    assert rows[0][0] == latest.groupby("continent")["pop"].sum().idxmax()
    _, rows = ask(gap, "Which 3 countries had the lowest life expectancy in 1952?")
    early = frame[frame.year == 1952].nsmallest(3, "lifeExp")
    assert [row[0] for row in rows] == list(early.country)


def test_trends_over_years(datasets):
    gap = datasets["gapminder"]
    frame = gap.frame
    generated, rows = ask(gap, "average life expectancy by year")
    expected = frame.groupby("year").lifeExp.mean()
    assert [row[0] for row in rows] == list(expected.index)
    assert all(close(row[1], expected[row[0]]) for row in rows)
    assert generated.chart_hint is not None and generated.chart_hint["type"] == "line"
    generated, rows = ask(gap, "Show the population of France over time")
    france = frame[frame.country == "France"].set_index("year")["pop"]
    assert [row[0] for row in rows] == list(france.index) and [row[1] for row in rows] == list(france)


def test_monthly_trend_on_a_date_column(datasets):
    stocks = datasets["stocks"]
    frame = stocks.frame.assign(month=pd.to_datetime(stocks.frame.date).dt.to_period("M"))
    generated, rows = ask(stocks, "average AAPL by month")
    expected = frame.groupby("month").AAPL.mean()
    assert len(rows) == len(expected)
    assert all(close(a[1], b) for a, b in zip(rows, expected, strict=True))
    assert generated.chart_hint is not None and generated.chart_hint["type"] == "line"
    _, rows = ask(stocks, "When was MSFT highest?")
    assert rows[0][0] == stocks.frame.loc[stocks.frame.MSFT.idxmax(), "date"]


# --------------------------------------------------------------------------- other datasets
def test_iris_species(datasets):
    iris = datasets["iris"]
    frame = iris.frame
    assert scalar(iris, "how many setosa are there?") == (frame.species == "setosa").sum()
    assert close(
        scalar(iris, "maximum petal width of virginica"), frame[frame.species == "virginica"].petal_width.max()
    )
    _, rows = ask(iris, "average sepal length by species")
    assert same_mapping(as_mapping(rows, 0, 1), frame.groupby("species").sepal_length.mean())
    _, rows = ask(iris, "Which species has the longest average petal length?")
    assert rows[0][0] == frame.groupby("species").petal_length.mean().idxmax()


def test_election_winners(datasets):
    election = datasets["election"]
    frame = election.frame
    assert scalar(election, "How many districts did Coderre win?") == (frame.winner == "Coderre").sum()
    _, rows = ask(election, "Which district has the highest total?")
    assert rows[0][0] == frame.loc[frame.total.idxmax(), "district"]
    _, rows = ask(election, "How many districts has each winner won?")
    assert same_mapping(as_mapping(rows, 0, 1), frame.winner.value_counts())


def test_counts_stored_in_a_count_column_are_added_up(datasets):
    medals = datasets["medals_long"]
    frame = medals.frame
    assert (
        scalar(medals, "How many gold medals did China win?")
        == frame[(frame.nation == "China") & (frame.medal == "gold")]["count"].sum()
    )
    _, rows = ask(medals, "Which nation won the most medals?")
    assert rows[0][0] == frame.groupby("nation")["count"].sum().idxmax()


def test_numbered_columns_and_two_group_keys(datasets):
    experiment = datasets["experiment"]
    _, rows = ask(experiment, "average experiment 1 by group and gender")
    expected = experiment.frame.groupby(["group", "gender"]).experiment_1.mean()
    assert len(rows) == len(expected)
    assert all(close(row[2], expected[(row[0], row[1])]) for row in rows)


# --------------------------------------------------------------------------- refusals and safety
@pytest.mark.parametrize(
    "question",
    [
        "What is the weather like on Mars?",
        "How many unicorns ordered dessert?",
        "What is the average tip of left-handed customers?",
        "Which waiter earned the most?",
    ],
)
def test_unplaceable_words_are_refused_with_suggestions(datasets, question):
    tips = datasets["tips"]
    with pytest.raises(CannotAnswer) as refusal:
        ENGINE.generate(question, tips.context())
    assert refusal.value.status_code == 422
    assert refusal.value.suggestions
    assert "'" in refusal.value.detail  # names the words it could not place


def test_empty_question_is_refused(datasets):
    with pytest.raises(CannotAnswer):
        ENGINE.generate("   ", datasets["tips"].context())


def _string_literals(sql: str) -> list[str]:
    return [node.this for node in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Literal) if node.is_string]


def test_user_text_only_reaches_sql_as_a_quoted_literal(datasets):
    tips = datasets["tips"]
    attack = "'; DROP TABLE tips; --"
    generated, rows = ask(tips, f'How many rows where day contains "{attack}"?')
    statements = sqlglot.parse(generated.sql, read="duckdb")
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    assert any(attack in literal for literal in _string_literals(generated.sql))
    assert rows == [[0]]
    with pytest.raises(CannotAnswer):
        ENGINE.generate(f"How many rows have day {attack}", tips.context())


def test_values_with_quotes_are_escaped(datasets, tmp_path):
    people = upload(
        pd.DataFrame({"name": ["O'Brien", "Smith", "O'Brien"], "score": [3, 4, 5]}), "people", tmp_path
    )
    generated, rows = ask(people, "What is the average score of O'Brien?")
    assert "O'Brien" in _string_literals(generated.sql)
    assert rows == [[4.0]]


def test_other_dialects_render_the_same_question(datasets):
    tips = datasets["tips"]
    for dialect in ("postgres", "mysql"):
        generated = ENGINE.generate("average tip by day", tips.context(dialect))
        parsed = sqlglot.parse_one(generated.sql, read=dialect)
        assert isinstance(parsed, exp.Select)
        quote = "`" if dialect == "mysql" else '"'
        assert f"{quote}tip{quote}" in generated.sql


def test_answers_are_fast(datasets):
    import time

    tips = datasets["tips"]
    questions = ["average tip by day", "How many smokers are there?", "Which day has the highest average tip?"] * 5
    timings = []
    for question in questions:
        started = time.perf_counter()
        ENGINE.generate(question, QuestionContext(dialect="duckdb", tables=[tips.info]))
        timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.1


def test_rows_before_and_after_a_named_row(datasets, tmp_path):
    episodes = upload(
        pd.DataFrame(
            {
                "episode": [1, 2, 3, 4],
                "title": ["Pilot", "Birthday party", "The storm", "Finale"],
                "airdate": ["January 5, 1995", "January 12, 1995", "January 19, 1995", "January 26, 1995"],
            }
        ),
        "episodes",
        tmp_path,
    )
    _, rows = ask(episodes, "What was the airdate of the episode after Birthday party?")
    assert rows[0][0] == "January 19, 1995"
    _, rows = ask(episodes, "which title comes before the storm?")
    assert rows == [["Birthday party"]]
    with pytest.raises(CannotAnswer):
        ENGINE.generate("which title comes before the storm?", episodes.context("postgres"))


def test_rows_where_a_column_is_empty(datasets, tmp_path):
    drivers = upload(
        pd.DataFrame(
            {"driver": ["Ann", "Bob", "Cid", "Dee"], "laps_led": [0, 12, None, 3], "team": ["A", None, "B", "B"]}
        ),
        "drivers",
        tmp_path,
    )
    assert scalar(drivers, "How many drivers have no laps led?") == 2
    _, rows = ask(drivers, "Which drivers do not have a team?")
    assert rows == [["Bob"]]
