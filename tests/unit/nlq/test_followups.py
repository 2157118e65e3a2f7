"""Chat follow-ups read by the built-in engine against the previous answer (issue 12): the
dialogue table of tests/helpers/dialogues.py on real plotly datasets, every turn's rows checked
against pandas, plus the reading's JSON round trip and the turns that must not refine."""

from __future__ import annotations

import json
from collections.abc import Iterator

import plotly.data
import pytest

from lumiere.core.chat import FollowUpKind, PreviousTurn
from lumiere.nlq.conversation import plan_from_reading
from lumiere.nlq.schema import SchemaIndex
from lumiere.services import warehouse
from tests.helpers.dialogues import DIALOGUES, FIRST, Dialogue, run_dialogue
from tests.unit.test_builtin import ENGINE, Dataset, uploaded


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Dataset]]:
    names = sorted({d.dataset for d in DIALOGUES})
    yield from uploaded(tmp_path_factory, {name: getattr(plotly.data, name)() for name in names})


def test_the_table_is_large_and_varied() -> None:
    assert len(DIALOGUES) >= 40
    assert all(2 <= len(d.turns) <= 4 and d.turns[0].kind == FIRST for d in DIALOGUES)
    kinds = {t.kind for d in DIALOGUES for t in d.turns[1:]}
    assert kinds == {FollowUpKind.REFINED, FollowUpKind.CHART_ONLY, FollowUpKind.CLARIFY, FollowUpKind.FRESH}
    assert {d.dataset for d in DIALOGUES} == {"tips", "gapminder", "stocks", "iris", "medals_long"}


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=lambda d: d.name[:90])
def test_dialogue(dialogue: Dialogue, datasets: dict[str, Dataset]) -> None:
    data = datasets[dialogue.dataset]
    results = run_dialogue(dialogue, data.frame, data.source, data.context(), ENGINE)
    wrong = [f"{r.message!r}: {r.got}" for r in results if not r.right]
    assert not wrong, wrong


def test_reading_is_json_and_gives_the_plan_back(datasets: dict[str, Dataset]) -> None:
    data = datasets["tips"]
    generated = ENGINE.generate("average tip by day for smokers", data.context())
    reading = json.loads(json.dumps(generated.reading))
    assert reading["question"] == "average tip by day for smokers"
    assert reading["table"] == "tips"
    assert reading["plan"]["where"] == [
        [
            {
                "expr": {"column": "smoker", "agg": None, "distinct": False, "bucket": None},
                "op": "=",
                "values": [True],
                "year_of": False,
            }
        ]
    ]
    plan = plan_from_reading(reading, SchemaIndex.build(data.info))
    assert plan is not None and [g.column.name for g in plan.group if g.column] == ["day"]


def test_the_refined_sql_is_written_like_a_first_question(datasets: dict[str, Dataset]) -> None:
    data = datasets["tips"]
    first = ENGINE.generate("average tip by day", data.context())
    previous = PreviousTurn("average tip by day", first.sql, first.reading, first.chart_hint)
    follow = ENGINE.follow_up("only for smokers", previous, data.context())
    assert follow.kind == FollowUpKind.REFINED and follow.generated is not None
    assert follow.standalone_question == "average tip by day where smoker is yes"
    direct = ENGINE.generate("average tip by day for smokers", data.context())
    assert follow.generated.sql == direct.sql
    assert warehouse.execute(data.source, follow.generated.sql).rows == warehouse.execute(data.source, direct.sql).rows


def test_without_a_reading_a_follow_up_is_asked_back(datasets: dict[str, Dataset]) -> None:
    data = datasets["tips"]
    previous = PreviousTurn("average tip by day", "SELECT 1", None)
    follow = ENGINE.follow_up("only for smokers", previous, data.context())
    assert follow.kind == FollowUpKind.CLARIFY and follow.clarification
    assert ENGINE.follow_up("average tip by time", previous, data.context()).kind == FollowUpKind.FRESH


def test_chart_only_keeps_the_axes(datasets: dict[str, Dataset]) -> None:
    data = datasets["gapminder"]
    first = ENGINE.generate("average life expectancy by continent", data.context())
    previous = PreviousTurn("average life expectancy by continent", first.sql, first.reading, first.chart_hint)
    follow = ENGINE.follow_up("make it a pie", previous, data.context())
    assert follow.kind == FollowUpKind.CHART_ONLY and follow.generated is None
    assert follow.chart == {**(first.chart_hint or {}), "type": "pie"}
