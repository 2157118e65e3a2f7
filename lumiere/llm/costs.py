"""What an LLM call cost, from its token usage and the operator's price table (USD per 1M tokens)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping

log = logging.getLogger("lumiere.llm")

# Providers answer with dated snapshots ("gpt-4o-mini-2024-07-18", "gpt-4-0613") of a priced model.
_SNAPSHOT_SUFFIX_RE = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
_unpriced_models_logged: set[str] = set()
_log_lock = threading.Lock()


def price_for(model: str, price_table: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    if model in price_table:
        return price_table[model]
    base = _SNAPSHOT_SUFFIX_RE.sub("", model)
    return price_table.get(base)


def cost_usd(
    model: str, prompt_tokens: int, completion_tokens: int, price_table: Mapping[str, tuple[float, float]]
) -> float:
    """Unknown models cost 0 (local servers usually are free) and are logged once, so the operator can price them."""
    prices = price_for(model, price_table)
    if prices is None:
        with _log_lock:
            first_time = model not in _unpriced_models_logged
            _unpriced_models_logged.add(model)
        if first_time:
            log.warning(
                "No price for LLM model %r: its calls are recorded at $0. Add it to LUMIERE_LLM_PRICES "
                '(JSON: {"model": [prompt_usd, completion_usd] per 1M tokens}).',
                model,
            )
        return 0.0
    prompt_price, completion_price = prices
    total = (max(prompt_tokens, 0) * prompt_price + max(completion_tokens, 0) * completion_price) / 1_000_000
    return round(total, 10)
