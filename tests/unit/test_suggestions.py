"""Suggested questions must be ones the built-in engine answers, on real uploaded datasets."""

from __future__ import annotations

from collections.abc import Iterator

import plotly.data
import pytest

from lumiere.config import reset_settings
from lumiere.core.engine import ColumnInfo, TableInfo
from lumiere.nlq.engine import BuiltinEngine
from lumiere.nlq.suggestions import suggest_questions
from lumiere.services import warehouse
from tests.unit.test_builtin import Dataset, upload

DATASETS = ["tips", "gapminder", "iris", "stocks", "election", "medals_long", "wind", "carshare", "experiment"]


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LUMIERE_DATA_DIR", str(tmp_path_factory.mktemp("suggestion-data")))
        reset_settings()
        folder = tmp_path_factory.mktemp("csv")
        yield {name: upload(getattr(plotly.data, name)(), name, folder) for name in DATASETS}
    reset_settings()


@pytest.mark.parametrize("name", DATASETS)
def test_every_suggestion_is_answered_and_runs(uploaded, name):
    dataset = uploaded[name]
    suggestions = suggest_questions([dataset.info])
    assert 3 <= len(suggestions) <= 6
    assert len(set(suggestions)) == len(suggestions)
    engine = BuiltinEngine()
    for question in suggestions:
        generated = engine.generate(question, dataset.context())
        result = warehouse.execute(dataset.source, generated.sql)
        assert result.row_count >= 1, question


def test_limit_is_respected(uploaded):
    assert len(suggest_questions([uploaded["tips"].info], limit=2)) == 2
    assert suggest_questions([uploaded["tips"].info], limit=0) == []


def test_suggestions_name_the_schema_in_plain_words(uploaded):
    suggestions = suggest_questions([uploaded["tips"].info], limit=10)
    text = " ".join(suggestions)
    assert "total bill" in text  # total_bill, said the way a person would
    assert "_" not in text


def test_a_table_without_text_or_numbers_still_gets_a_question():
    dates_only = TableInfo(
        name="events",
        row_count=3,
        columns=[ColumnInfo(name="happened_on", type="DATE", kind="date", samples=["2024-01-01"], distinct_count=3)],
    )
    assert suggest_questions([dates_only]) == ["How many rows are there?"]
