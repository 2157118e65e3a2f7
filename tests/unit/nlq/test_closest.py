"""A refusal names the word it could not place, the nearest columns or values, and offers the
question rewritten with each as a suggestion that the engine can then answer."""

from __future__ import annotations

from collections.abc import Iterator

import plotly.data
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded


@pytest.fixture(scope="module")
def tips(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    for datasets in uploaded(tmp_path_factory, {"tips": plotly.data.tips()}):
        yield datasets["tips"]


def test_a_misspelt_column_is_named_and_the_rewrite_answers(tips: Dataset) -> None:
    with pytest.raises(CannotAnswer) as refusal:
        ENGINE.generate("average tipp by day", tips.context())
    assert "'tipp'" in refusal.value.detail and "Closest to 'tipp' in this data: tip" in refusal.value.detail
    rewrite = refusal.value.suggestions[0]
    assert rewrite == "average tip by day"
    rows = warehouse.execute(tips.source, ENGINE.generate(rewrite, tips.context()).sql).rows
    expected = tips.frame.groupby("day").tip.mean()
    assert {day: pytest.approx(value) for day, value in rows} == expected.to_dict()


def test_a_word_like_nothing_in_the_data_gets_no_rewrite(tips: Dataset) -> None:
    with pytest.raises(CannotAnswer) as refusal:
        ENGINE.generate("average weather by day", tips.context())
    assert "Closest" not in refusal.value.detail
    assert all("weather" not in suggestion for suggestion in refusal.value.suggestions)
