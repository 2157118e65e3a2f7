"""The best rows within each group, asked by the table's own noun ("which nation ... in each
continent"), on gapminder's 2007 rows uploaded as a table of named nations."""

from __future__ import annotations

from collections.abc import Iterator

import plotly.data
import pytest

from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

NATIONS = (
    plotly.data.gapminder()
    .query("year == 2007")[["country", "continent", "lifeExp", "pop"]]
    .rename(columns={"country": "name"})
)


@pytest.fixture(scope="module")
def nations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    yield from (tables["nations"] for tables in uploaded(tmp_path_factory, {"nations": NATIONS}))


def _rows(dataset: Dataset, question: str) -> tuple[str, list[list[object]]]:
    generated = ENGINE.generate(question, dataset.context())
    return generated.sql, warehouse.execute(dataset.source, generated.sql).rows


def test_which_row_of_the_table_in_each_group_is_named(nations: Dataset) -> None:
    sql, rows = _rows(nations, "which nation has the highest life expectancy in each continent")
    best = NATIONS.loc[NATIONS.groupby("continent").lifeExp.idxmax()]
    assert [row[:2] for row in rows] == best[["continent", "name"]].values.tolist()
    assert "RANK() OVER (PARTITION BY" in sql
    _, rows = _rows(nations, "the 2 nations with the smallest population in each continent")
    smallest = NATIONS.sort_values("pop").groupby("continent").head(2).sort_values(["continent", "pop"])
    assert [row[:2] for row in rows] == smallest[["continent", "name"]].values.tolist()


def test_a_value_of_the_rows_per_group_stays_one_aggregate(nations: Dataset) -> None:
    sql, rows = _rows(nations, "the maximum life expectancy of nations of each continent")
    assert "RANK()" not in sql
    assert sorted(rows) == sorted(NATIONS.groupby("continent").lifeExp.max().reset_index().values.tolist())
