"""The one JSON converter: database rows become plain values; chart figures refuse anything else."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import numpy as np
import pytest

from lumiere.core.json_values import json_safe, json_strict

ODD_VALUES = {
    "decimal": Decimal("1.50"),
    "nan_decimal": Decimal("sNaN"),
    "inf": float("inf"),
    "numpy": [np.int64(3), np.float32(0.5), np.bool_(True)],
    "array": np.array([1, 2]),
    "when": (dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), dt.time(6, 7)),
    "gap": dt.timedelta(hours=1),
    "id": uuid.UUID(int=1),
    "blob": b"\x00\xff",
    "tags": frozenset({"b", "a"}),
    7: None,
}

EXPECTED = {
    "decimal": 1.5,
    "nan_decimal": None,
    "inf": None,
    "numpy": [3, 0.5, True],
    "array": [1, 2],
    "when": ["2024-01-02", "2024-01-02T03:04:05", "06:07:00"],
    "gap": "1:00:00",
    "id": "00000000-0000-0000-0000-000000000001",
    "blob": "00ff",
    "tags": ["a", "b"],
    "7": None,
}


@pytest.mark.parametrize("convert", [json_safe, json_strict])
def test_known_values_become_plain_json_in_both_modes(convert) -> None:
    converted = convert(ODD_VALUES)
    assert converted == EXPECTED
    assert json.loads(json.dumps(converted, allow_nan=False)) == EXPECTED
    assert type(converted["numpy"][0]) is int and type(converted["numpy"][2]) is bool


def test_rows_keep_an_unknown_value_as_its_text_but_figures_refuse_it() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    assert json_safe([Odd()]) == ["odd"]
    with pytest.raises(TypeError, match="Odd"):
        json_strict({"nested": [Odd()]})
    with pytest.raises(TypeError, match="builtin_function_or_method"):
        json_strict({"onclick": print})
