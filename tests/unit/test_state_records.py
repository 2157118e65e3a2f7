"""Page states hold frozen dataclasses as records: what Reflex 0.10 sends and compiles for them.

Reflex serializes a dataclass to a plain object of its fields and compiles attribute access on a
record var to the same JavaScript key lookup a dict var gave, so the pages read the same data.
"""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, asdict

import pytest
import reflex as rx
from reflex_base.utils.format import json_dumps

from lumiere.state.history import HistoryRow, HistoryState
from tests.helpers.page_state import page_state

ROW = HistoryRow(
    id="7",
    question="How many rows?",
    sql="SELECT COUNT(*) FROM t",
    status="ok",
    status_label="Succeeded",
    error="",
    source_name="gapminder",
    source_gone="",
    origin="Question",
    rows="1",
    duration="3 ms",
    created="2025-03-01 14:05 UTC",
)


def test_a_list_of_records_reaches_the_browser_as_plain_objects():
    state = page_state(HistoryState)
    state.items = [ROW]
    delta = json.loads(json_dumps(state.parent_state.get_delta()))
    sent = next(values for values in delta.values() if "items_rx_state_" in values)["items_rx_state_"]
    assert sent == [asdict(ROW)] and sent[0]["question"] == "How many rows?"


def test_attribute_access_in_foreach_compiles_to_a_key_lookup():
    rendered = str(rx.foreach(HistoryState.items, lambda item: rx.text(item.question)).render())
    assert '?.["question"]' in rendered


def test_records_are_immutable():
    with pytest.raises(FrozenInstanceError):
        ROW.question = "changed"  # type: ignore[misc]
