"""Each pass family's questions, one JSON line each, answered on real plotly datasets uploaded
through the real ingest.

A line is `{"question", "table", "sql"}` (the exact DuckDB SQL the engine gives, which must also
run), optionally with `"rows"` (what that SQL returns) and `"note"` (one of the readings the answer
explains), or `{"question", "table", "refused"}` (the
start of the refusal). A misread question is fixed in its family's pass module with one new or
corrected line in fixtures/<family>.jsonl, named after that module in lumiere/nlq/planner/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.data
import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.services import warehouse
from tests.unit.test_builtin import ENGINE, Dataset, uploaded

FIXTURES = Path(__file__).parent / "fixtures"
DATASETS = ("tips", "gapminder", "iris", "stocks", "medals_long", "medals_wide", "experiment")


def fixture_lines() -> Iterator[Any]:
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip():
                yield pytest.param(json.loads(line), id=f"{path.stem}:{number}")


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    yield from uploaded(tmp_path_factory, {name: getattr(plotly.data, name)() for name in DATASETS})


def test_every_family_has_fixtures() -> None:
    families = {path.stem for path in (Path(__file__).parents[3] / "lumiere" / "nlq" / "planner").glob("*.py")}
    families -= {"__init__", "cursor", "state", "shared"}
    assert families == {path.stem for path in FIXTURES.glob("*.jsonl")}


@pytest.mark.parametrize("case", fixture_lines())
def test_fixture(case: dict[str, Any], datasets: dict[str, Dataset]) -> None:
    dataset = datasets[case["table"]]
    if "refused" in case:
        with pytest.raises(CannotAnswer) as refusal:
            ENGINE.generate(case["question"], dataset.context())
        assert str(refusal.value).startswith(case["refused"])
        return
    generated = ENGINE.generate(case["question"], dataset.context())
    assert generated.sql == case["sql"]
    rows = warehouse.execute(dataset.source, generated.sql).rows
    if "rows" in case:
        assert rows == case["rows"]
    if "note" in case:
        assert case["note"] in generated.notes
