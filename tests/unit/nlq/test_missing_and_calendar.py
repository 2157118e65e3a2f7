"""`missing` reads as no value, and a calendar column (`Day` 1..31) that is the grain of the table
counts rows: checked against pandas on real data with gaps and calendar columns added."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import plotly.data
import pytest

from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded


def _with_gaps() -> pd.DataFrame:
    frame = plotly.data.gapminder()
    frame.loc[(frame.year == 1952) & (frame.continent == "Africa"), "lifeExp"] = None
    return frame


def _daily() -> pd.DataFrame:
    frame = plotly.data.stocks()
    dates = pd.to_datetime(frame.pop("date"))
    frame["Month"], frame["Day"] = dates.dt.month, dates.dt.day
    return frame


def _written_dates() -> pd.DataFrame:
    """Dates as a report writes them out ("Jan 1, 2018"), which stay text at ingest."""
    frame = plotly.data.stocks()
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%b %-d, %Y")
    frame.insert(0, "Session", range(1, len(frame) + 1))  # each row's number, as a trading log numbers them
    return frame


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {"gaps": _with_gaps(), "daily": _daily(), "written": _written_dates()})


def _answer(dataset: Dataset, question: str) -> tuple[str, list[list]]:
    generated = ENGINE.generate(question, dataset.context())
    return generated.sql, warehouse.execute(dataset.source, generated.sql).rows


def test_missing_reads_as_no_value(data: dict[str, Dataset]) -> None:
    frame = data["gaps"].frame
    sql, rows = _answer(data["gaps"], "how many rows have a missing life expectancy?")
    assert "IS NULL" in sql
    assert rows == [[int(frame.lifeExp.isna().sum())]]
    _, rows = _answer(data["gaps"], "average gdp per capita where life expectancy is missing")
    assert rows[0][0] == pytest.approx(frame[frame.lifeExp.isna()].gdpPercap.mean())


def test_days_of_a_daily_table_are_its_rows(data: dict[str, Dataset]) -> None:
    frame = data["daily"].frame
    sql, rows = _answer(data["daily"], "on how many days was GOOG above 1.2?")
    assert "COUNT(*)" in sql
    assert rows == [[int((frame.GOOG > 1.2).sum())]]
    _, rows = _answer(data["daily"], "how many months are there")
    assert rows == [[frame.Month.nunique()]]


def test_a_year_inside_dates_written_out(data: dict[str, Dataset]) -> None:
    """`in 2019` over text dates: the rows whose text holds the year (no cell equals "2019")."""
    sql, rows = _answer(data["written"], "how many rows are from 2019?")
    assert "ILIKE '%2019%'" in sql
    assert rows == [[int(data["written"].frame.date.str.endswith("2019").sum())]]


def test_a_column_that_numbers_the_rows_is_counted_not_added_up(data: dict[str, Dataset]) -> None:
    frame = data["written"].frame
    sql, rows = _answer(data["written"], "how many sessions had GOOG above 1.2?")
    assert "SUM(" not in sql
    assert rows == [[int((frame.GOOG > 1.2).sum())]]
