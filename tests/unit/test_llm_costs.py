"""Cost of a call from its usage: USD per one million tokens, prompt and completion priced apart."""

from __future__ import annotations

import logging

import pytest

from lumiere.config import DEFAULT_LLM_PRICES, Settings
from lumiere.llm.costs import cost_usd, price_for


def test_prompt_and_completion_tokens_are_priced_apart() -> None:
    table = {"m": (2.0, 8.0)}
    assert cost_usd("m", 1_000_000, 0, table) == pytest.approx(2.0)
    assert cost_usd("m", 0, 1_000_000, table) == pytest.approx(8.0)
    assert cost_usd("m", 1234, 567, table) == pytest.approx((1234 * 2.0 + 567 * 8.0) / 1e6)
    assert cost_usd("m", 0, 0, table) == 0.0


def test_dated_snapshots_are_priced_as_their_model_but_other_names_are_not() -> None:
    table = {"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6), "gpt-4": (30.0, 60.0)}
    assert price_for("gpt-4o-mini-2024-07-18", table) == (0.15, 0.6)
    assert price_for("gpt-4o-2024-08-06", table) == (2.5, 10.0)
    assert price_for("gpt-4-0613", table) == (30.0, 60.0)
    assert price_for("gpt-4o-audio-preview", table) is None
    assert price_for("gpt-4o-minimal", table) is None


def test_an_unknown_model_costs_nothing_and_is_logged_once(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="lumiere.llm"):
        assert cost_usd("llama3.1:8b-costs-test", 10_000, 2_000, DEFAULT_LLM_PRICES) == 0.0
        assert cost_usd("llama3.1:8b-costs-test", 10_000, 2_000, DEFAULT_LLM_PRICES) == 0.0
    lines = [r.getMessage() for r in caplog.records if "llama3.1:8b-costs-test" in r.getMessage()]
    assert len(lines) == 1 and "LUMIERE_LLM_PRICES" in lines[0]


def test_the_operator_table_overrides_and_extends_the_defaults() -> None:
    settings = Settings(llm_prices='{"gpt-4o-mini": [1, 2], "qwen2.5-coder": [0.05, 0.1]}')
    table = settings.llm_price_table
    assert table["gpt-4o-mini"] == (1.0, 2.0) and table["qwen2.5-coder"] == (0.05, 0.1)
    assert table["gpt-4o"] == DEFAULT_LLM_PRICES["gpt-4o"]
    assert cost_usd("qwen2.5-coder", 2_000_000, 1_000_000, table) == pytest.approx(0.2)
