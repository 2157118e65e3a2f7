"""From linked mentions to a query plan: which columns to show, filter, group, order and count.

The planner reads the mentions in passes, in the order `PASSES` gives (in the manner of sqlglot's
optimizer rules); each pass marks the mentions it used and records its findings in the shared
`PlanState`. Anything no pass could use is reported back (`Unplaced`) so the engine can refuse
instead of guessing. To fix a misread question, find the pass family that should read it (one
module each) and its fixture file under tests/unit/nlq/fixtures/.
"""

from __future__ import annotations

from collections.abc import Callable

from lumiere.nlq.mention import Linked
from lumiere.nlq.plan import Plan
from lumiere.nlq.planner import (
    aggregates,
    checks,
    comparisons,
    differences,
    extremes,
    filters,
    finishing,
    grouping,
    numbers,
    ordering,
    projection,
    soundness,
    superlatives,
)
from lumiere.nlq.planner.cursor import Cursor
from lumiere.nlq.planner.state import PlanState

# Order matters: an earlier pass takes the mentions it understands before a later, more general
# one sees them (a number after `top` is a limit, not a filter; a column left over is shown).
PASSES: tuple[Callable[[PlanState], None], ...] = (
    projection.select_all,
    filters.like_filters,
    extremes.extreme_pairs,
    ordering.limits,
    ordering.sort_only_superlatives,
    ordering.order_phrases,
    ordering.chronological_order,
    comparisons.column_comparisons,
    differences.yes_no_question,
    differences.differences,
    differences.choices,
    comparisons.same_as_row,
    comparisons.than_a_row,
    numbers.number_filters,
    filters.position_filter,
    filters.value_filters,
    filters.boolean_filters,
    filters.rate_filters,
    filters.absence_filters,
    filters.missing_filters,
    filters.extreme_value_filters,
    superlatives.superlatives,
    superlatives.averaged_superlatives,
    aggregates.world_totals,
    aggregates.trailing_aggregates,
    aggregates.correlations,
    aggregates.counts_and_aggregates,
    aggregates.shares,
    grouping.groups,
    grouping.time_buckets,
    projection.question_word,
    projection.projection,
    soundness.breakdowns_and_joins,
    finishing.finish,
    superlatives.top_rows_per_group,
    soundness.time_unit_keys,
    soundness.order_time_groups_by_their_key,
    soundness.check_share_part,
    soundness.check_one_group,
    soundness.check_each_and_limit,
    soundness.check_row_picked_beside_aggregate,
    soundness.check_order_beside_aggregate,
    soundness.check_counts_per_row,
    soundness.check_sort_on_groups,
    soundness.check_superlative_as_place,
    soundness.check_value_named_like_a_measure,
    numbers.answer_units,
    checks.check_measures,
    checks.check_row_comparison,
    checks.check_unplaced,
)


def plan_question(linked: Linked) -> Plan:
    """Runs every pass over the linked question; raises Unplaced when part of it is left over."""
    state = PlanState(
        cursor=Cursor(linked.mentions), schema=linked.schema, tokens=linked.tokens, summary_rows=linked.summary_rows
    )
    state.plan.derived = list(linked.derived)
    for run_pass in PASSES:
        run_pass(state)
    state.plan.notes[:0] = [m.reading for m in linked.mentions if m.reading]
    return state.plan
