"""Explorations of real uploads (tips, gapminder, stocks): which requests are vague, which cards they
get, and every card's numbers checked against pandas; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time

import duckdb
import numpy as np
import pandas as pd
import plotly.data
import pytest
import sqlglot
from sqlmodel import Session, select

from lumiere.core.engine import CannotAnswer, TableInfo
from lumiere.core.enums import Engine, QueryStatus
from lumiere.core.semantics import ColumnMeaning, SourceSemantics
from lumiere.db import saved_id
from lumiere.models import Query, Source, User
from lumiere.services import warehouse
from lumiere.services.ask import ask_question, open_history_entry, public_answer
from lumiere.services.explore import Exploration, ExplorationCard, explore
from lumiere.services.explore_request import is_vague_request, read_request
from lumiere.services.profiling import profile_table, quote_ident
from lumiere.services.sources import table_infos
from lumiere.services.sqlguard import guard_sql
from tests.helpers.queries import make_user, upload_frame

TIPS = plotly.data.tips()
GAPMINDER = plotly.data.gapminder()
STOCKS = plotly.data.stocks()


def profiled_infos(frame: pd.DataFrame, table: str) -> list[TableInfo]:
    """The engine's view of a frame profiled the way an upload is (no app database needed)."""
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM frame")
    columns = [(row[0], row[1]) for row in connection.execute(f"DESCRIBE {quote_ident(table)}").fetchall()]
    profile = profile_table(connection, table, columns)
    source = Source(
        user_id=1,
        name=table,
        kind="csv",
        table_name=table,
        tables_json=[{"name": table, "row_count": profile["row_count"],
                      "columns": [{"name": name, "type": kind} for name, kind in columns]}],
        profile_json={"tables": [{"name": table, **profile}]},
    )
    return table_infos(source)


TIPS_INFOS = profiled_infos(TIPS, "tips")
GAPMINDER_INFOS = profiled_infos(GAPMINDER, "gapminder")


# --- which requests are vague ------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "show me something interesting",
        "What stands out?",
        "give me an overview",
        "explore this data",
        "summarise the data",
        "Summarize the key insights",
        "tell me about this table",
        "tell me about tips",  # the table's own name is not a column
        "anything unusual in here?",
        "what patterns do you see",
    ],
)
def test_vague_requests_are_recognised(question: str) -> None:
    assert is_vague_request(question, TIPS_INFOS)


@pytest.mark.parametrize(
    "question",
    [
        "what is interesting about tips by day",  # names the column day: the engine answers it
        "anything unusual among smokers?",  # "smokers" is a form of the column smoker
        "summarise the tip column",  # "tip" is the column, not the table tips
        "what stands out for Dinner",  # a stored value of time
        "show me something interesting about 'Sat'",  # quoted text names something
        "average tip by day",  # no exploration intent
        "how many rows are there",
        "",
    ],
)
def test_requests_that_name_the_data_or_ask_for_a_figure_are_not_vague(question: str) -> None:
    assert not is_vague_request(question, TIPS_INFOS)


def test_word_forms_and_other_tables_decide_not_sentences() -> None:
    """The same words are vague on one table and not on another: lifeExp's 'life' is a column word of
    gapminder only; the semantic layer's synonyms name columns too."""
    assert not is_vague_request("anything interesting about life expectancy?", GAPMINDER_INFOS)
    assert read_request("anything interesting about life expectancy?", GAPMINDER_INFOS).columns == ("lifeExp",)
    assert is_vague_request("anything interesting about life expectancy?", TIPS_INFOS)
    assert read_request("anything interesting about life expectancy?", TIPS_INFOS).unplaced == ("life", "expectancy")
    semantics = SourceSemantics(columns=(ColumnMeaning(table="tips", column="total_bill", synonyms=("check",)),))
    assert is_vague_request("what stands out in the checks", TIPS_INFOS)
    assert not is_vague_request("what stands out in the checks", TIPS_INFOS, semantics)
    assert read_request("what stands out in the checks", TIPS_INFOS, semantics).columns == ("total_bill",)


# --- the cards ------------------------------------------------------------------------------------


@pytest.fixture
def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.commit()
    return user


def _card(exploration: Exploration, kind: str) -> ExplorationCard:
    (card,) = [card for card in exploration.cards if card.kind == kind][:1]
    return card


def _column(card: ExplorationCard, name: str) -> list:
    index = [column.name for column in card.columns].index(name)
    return [row[index] for row in card.rows]


def _numbers(text: str) -> list[float]:
    return [float(token.replace(",", "")) for token in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)]


def _check_common(exploration: Exploration, source: Source) -> None:
    assert 3 <= len(exploration.cards) <= 6
    assert len({card.title for card in exploration.cards}) == len(exploration.cards)
    table = quote_ident(source.table_name or "")
    for card in exploration.cards:
        assert table in card.sql  # identifiers are quoted in the SQL text
        guard_sql(card.sql, dialect="duckdb", allowed_tables=[source.table_name or ""], row_cap=10)
        assert card.chart is not None and card.chart["figure"]["data"], card.title
        assert card.insight_text and card.rows


def test_tips_cards_match_pandas(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    exploration = explore(db_session, owner, source)
    _check_common(exploration, source)
    kinds = [card.kind for card in exploration.cards]
    assert kinds[:5] == ["categories", "breakdown", "distribution", "correlation", "outliers"]

    common = _card(exploration, "categories")  # day has 4 values; Sat is the most common
    counts = TIPS["day"].value_counts()
    assert dict(zip(_column(common, "day"), _column(common, "rows"), strict=True)) == counts.to_dict()
    assert common.chart and common.chart["type"] == "bar"
    assert "Sat: 87 of 244 rows (35.7%)" in common.insight_text

    breakdown = _card(exploration, "breakdown")
    means = TIPS.groupby("day")["total_bill"].mean()
    got = dict(zip(_column(breakdown, "day"), _column(breakdown, "average total_bill"), strict=True))
    assert got == pytest.approx(means.to_dict())
    assert list(got) == list(means.sort_values(ascending=False).index)
    assert f"Sun ({means['Sun']:.2f})" in breakdown.insight_text

    histogram = _card(exploration, "distribution")  # 2.5-wide bins of total_bill
    bins = (np.floor(TIPS["total_bill"] / 2.5) * 2.5).value_counts()
    got = dict(zip(_column(histogram, "total_bill from"), _column(histogram, "rows"), strict=True))
    assert got == bins.to_dict() and sum(got.values()) == len(TIPS)
    assert f"range of total_bill is 15 to 17.5: {bins[15.0]} of 244 rows" in histogram.insight_text

    correlation = _card(exploration, "correlation")
    r = TIPS["total_bill"].corr(TIPS["tip"])
    assert {correlation.columns[0].name, correlation.columns[1].name} == {"total_bill", "tip"}
    assert f"correlation {r:.2f} over all 244 rows" in correlation.insight_text
    assert correlation.chart and correlation.chart["type"] == "scatter" and len(correlation.rows) == 244

    outliers = _card(exploration, "outliers")
    measure = outliers.columns[-1].name
    values = TIPS[measure]
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    outside = values[(values < q1 - 1.5 * (q3 - q1)) | (values > q3 + 1.5 * (q3 - q1))]
    assert outliers.result is not None and outliers.result.row_count == len(outside)
    assert _column(outliers, measure)[0] == pytest.approx(outside.loc[(outside - values.median()).abs().idxmax()])
    assert outliers.insight_text.startswith(f"{len(outside)} rows")


def test_gapminder_trend_and_outliers_match_pandas(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, GAPMINDER, "gapminder.csv", tmp_path)
    exploration = explore(db_session, owner, source)
    _check_common(exploration, source)
    assert len(exploration.cards) == 6

    trend = exploration.cards[0]  # a year column: the trend comes first
    assert trend.kind == "trend" and trend.chart and trend.chart["type"] == "line"
    by_year = GAPMINDER.groupby("year")["lifeExp"].mean()
    assert _column(trend, "year") == list(by_year.index)
    assert _column(trend, "average lifeExp") == pytest.approx(list(by_year))
    change = by_year.iloc[-1] - by_year.iloc[0]
    assert f"from {by_year.iloc[0]:.2f} to {by_year.iloc[-1]:.2f} (+{change:.2f}" in trend.insight_text

    outliers = _card(exploration, "outliers")  # named by country and year
    assert [column.name for column in outliers.columns][:2] == ["country", "year"]
    measure = outliers.columns[-1].name
    values = GAPMINDER[measure]
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    outside = GAPMINDER[(values < q1 - 1.5 * (q3 - q1)) | (values > q3 + 1.5 * (q3 - q1))]
    assert outliers.result is not None and outliers.result.row_count == len(outside)
    top = outside.loc[(outside[measure] - values.median()).abs().idxmax()]
    assert outliers.rows[0] == [top["country"], top["year"], pytest.approx(top[measure])]

    correlation = _card(exploration, "correlation")
    measures = ["lifeExp", "pop", "gdpPercap"]
    matrix = GAPMINDER[measures].corr().where(~np.eye(3, dtype=bool)).abs()
    best = matrix.stack().idxmax()
    assert {correlation.columns[0].name, correlation.columns[1].name} == set(best)
    assert len(correlation.rows) == 500 and correlation.result and not correlation.result.truncated


def test_a_time_series_is_drawn_as_it_is_and_its_strongest_pair_found(db_session, owner, tmp_path) -> None:
    """stocks has one row per date: the trend is the values themselves, not sums of prices."""
    source = upload_frame(db_session, owner, STOCKS, "stocks.csv", tmp_path)
    exploration = explore(db_session, owner, source)
    _check_common(exploration, source)
    trend = exploration.cards[0]
    assert trend.kind == "trend" and [column.name for column in trend.columns] == ["date", "GOOG"]
    assert _column(trend, "GOOG") == pytest.approx(list(STOCKS["GOOG"]))
    correlation = _card(exploration, "correlation")
    measures = [name for name in STOCKS.columns if name != "date"]
    matrix = STOCKS[measures].corr().where(~np.eye(len(measures), dtype=bool)).abs()
    assert {column.name for column in correlation.columns} == set(matrix.stack().idxmax())
    r = STOCKS[correlation.columns[0].name].corr(STOCKS[correlation.columns[1].name])
    assert f"correlation {r:.2f}" in correlation.insight_text


def test_a_question_naming_columns_leads_with_their_cards(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    focused = explore(db_session, owner, source, focus=("size", "time"))
    assert focused.cards[0].columns[0].name == "time"
    assert any(card.kind == "distribution" and card.columns[0].name == "size from" for card in focused.cards)


def test_fifty_thousand_rows_explore_well_under_two_seconds(db_session, owner, tmp_path) -> None:
    frame = pd.concat([GAPMINDER] * 30, ignore_index=True)  # 51,120 rows
    source = upload_frame(db_session, owner, frame, "gapminder_large.csv", tmp_path)
    warehouse.execute(source, "SELECT 1", max_rows=1)  # a query worker is running, as in the app
    started = time.monotonic()
    exploration = explore(db_session, owner, source)
    elapsed = time.monotonic() - started
    print(f"\nexploration of {len(frame):,} rows: {elapsed * 1000:.0f} ms, {len(exploration.cards)} cards")
    assert elapsed < 2.0 and len(exploration.cards) == 6
    counts = _card(exploration, "categories")
    assert dict(zip(_column(counts, "continent"), _column(counts, "rows"), strict=True)) == (
        frame["continent"].value_counts().to_dict()
    )


# --- inside the question flow ---------------------------------------------------------------------


def test_a_vague_question_is_answered_with_an_exploration_and_recorded(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    answer = ask_question(db_session, owner, source_id=saved_id(source), question="show me something interesting")
    db_session.commit()
    view = public_answer(answer)
    assert view.exploration is not None and 3 <= len(view.exploration) <= 6
    first = view.exploration[0]
    assert view.engine == Engine.BUILTIN and view.rows == first.rows and view.chart
    assert view.chart["title"] == first.title and "overview" in view.explanation
    (entry,) = db_session.exec(select(Query)).all()
    assert entry.status == QueryStatus.OK and entry.question == "show me something interesting"
    assert sqlglot.parse_one(entry.sql, read="duckdb") == sqlglot.parse_one(first.sql, read="duckdb")
    assert view.sql == entry.sql and view.query_id == entry.id

    opened = open_history_entry(db_session, owner, saved_id(entry))  # a reload keeps the cards
    assert opened.answer is not None and opened.answer.exploration is not None
    assert [card.title for card in opened.answer.exploration] == [card.title for card in view.exploration]
    assert opened.answer.rows == first.rows and len(db_session.exec(select(Query)).all()) == 1


def test_words_the_overview_does_not_use_are_named(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    answer = ask_question(db_session, owner, source_id=saved_id(source), question="anything interesting about revenue?")
    assert answer.exploration and any("'revenue'" in note for note in answer.notes)


def test_a_refused_question_with_an_exploration_intent_gets_a_focused_overview(db_session, owner, tmp_path) -> None:
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    answer = ask_question(db_session, owner, source_id=saved_id(source), question="what stands out about the day")
    assert answer.exploration and answer.exploration[0].columns[0].name == "day"
    assert any("could not read all of that question" in note for note in answer.notes)
    with pytest.raises(CannotAnswer):  # without the intent the refusal stands
        ask_question(db_session, owner, source_id=saved_id(source), question="flurbination of zorbles per day")


def test_awkward_column_names_are_quoted_and_small_tables_still_get_a_card(db_session, owner, tmp_path) -> None:
    frame = TIPS.rename(columns={"day": "Jour de la semaine", "total_bill": 'Coût "total"', "tip": "select"})
    source = upload_frame(db_session, owner, frame, "awkward.csv", tmp_path)
    exploration = explore(db_session, owner, source)
    _check_common(exploration, source)
    counts = _card(exploration, "categories")
    assert '"Jour de la semaine"' in counts.sql
    assert dict(zip(_column(counts, "Jour de la semaine"), _column(counts, "rows"), strict=True)) == (
        TIPS["day"].value_counts().to_dict()
    )
    correlation = _card(exploration, "correlation")
    assert '"Coût ""total"""' in correlation.sql and '"select"' in correlation.sql

    names = pd.DataFrame({"name": ["Ada", "Grace", "Edsger"]})  # nothing to chart: the rows themselves
    tiny = explore(db_session, owner, upload_frame(db_session, owner, names, "names.csv", tmp_path))
    assert [card.kind for card in tiny.cards] == ["sample"] and len(tiny.cards[0].rows) == 3


def test_a_vague_request_is_explored_before_the_llm_is_asked(db_session, owner, tmp_path, fake_llm) -> None:
    """With a model configured, 'what stands out?' costs no LLM call: the profile already says what to show."""
    source = upload_frame(db_session, owner, TIPS, "tips.csv", tmp_path)
    answer = ask_question(db_session, owner, source_id=saved_id(source), question="What stands out?")
    assert answer.exploration and answer.query.engine == Engine.BUILTIN
    assert fake_llm.chat_requests == []


def test_values_that_look_like_markup_stay_text_in_the_sentences(db_session, owner, tmp_path) -> None:
    evil = ["[win](http://evil.example)", "<img src=x onerror=alert(1)>"]
    frame = pd.DataFrame({"label": [evil[i % 2] for i in range(40)], "amount": [float(i % 7) for i in range(40)]})
    exploration = explore(db_session, owner, upload_frame(db_session, owner, frame, "evil.csv", tmp_path))
    sentences = " ".join(card.insight_text for card in exploration.cards)
    assert "evil.example" in sentences  # the value is quoted ...
    assert "](http" not in sentences and "<img" not in sentences  # ... as inert text
