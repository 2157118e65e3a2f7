"""The pass that completes the plan: shown columns grouped or aggregated, orders resolved to what
the answer shows, pending limits applied, and a stable order for grouped answers."""

from __future__ import annotations

from dataclasses import replace

from lumiere.nlq.lexicon import Token, is_inflected_verb, is_verb_only
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import COUNT_ROWS, ORDER_BY_SHOWN, ORDER_BY_SHOWN_MEASURE, Cond, Expr
from lumiere.nlq.planner.shared import count_expr
from lumiere.nlq.planner.state import PlanState

_AGG_WORDS = frozenset("count avg sum min max median stddev".split())
# Values named together are compared one by one ("smokers vs non-smokers", "compare France and
# Germany") or taken as one group ("Europe or Asia", "China and Japan combined", "both").
_COMPARING_WORDS = frozenset("vs versus compare compared comparing each respectively separately".split())
_COMBINING_WORDS = frozenset("or combined together altogether total overall both sum".split())


def _leave_out_summary_rows(state: PlanState) -> None:
    """A `Total` line would win every superlative and double every sum: leave it out, unless
    the question names it."""
    cursor = state.cursor
    named = {
        (id(column), value)
        for mention in cursor.mentions
        if mention.kind == "value"
        for column, value in mention.values
    }
    for column, value in state.summary_rows:
        if (id(column), value) in named:
            continue
        state.plan.where.append([Cond(Expr(column), "distinct", [value])])
        state.plan.notes.append(f"Left out the row where {column.name} is '{value}' (it sums up the others).")


def _label_named_values(state: PlanState) -> None:
    """Values named together: compared (`smokers vs non-smokers`), each gets its own aggregate;
    otherwise one figure covers them all (`the average population of Acre, Ariel and Dimona`).
    Numbers listed for values that each cover many rows say whose they are."""
    plan = state.plan
    if plan.group or plan.star or not plan.select:
        return
    words = {t.low for t in state.tokens}
    aggregated = any(e.agg for e in plan.select)
    if aggregated and (not all(e.agg for e in plan.select) or not words & _COMPARING_WORDS):
        return
    if not aggregated and (
        words & _COMBINING_WORDS or not any(e.column is not None and e.column.numeric for e in plan.select)
    ):
        return
    for group in plan.where:
        columns = {id(c.expr.column): c.expr.column for c in group if c.op == "=" and c.expr.column is not None}
        if len(group) < 2 or len(columns) != 1 or len(group) != sum(c.op == "=" for c in group):
            continue
        column = next(iter(columns.values()))
        if aggregated:
            plan.group.append(Expr(column))
            plan.select.insert(0, Expr(column))
        elif not column.unique and all(e.column is not column for e in plan.select):
            plan.select.insert(0, Expr(column))
        return


def _categories_once(state: PlanState) -> None:
    """`species with petal length above 5` lists each species once, not once per flower."""
    plan = state.plan
    if plan.group or plan.star or plan.order or plan.limit or plan.file_order or len(plan.select) != 1:
        return
    (shown,) = plan.select
    column = shown.column
    if shown.agg is None and column is not None and ((column.text and column.category) or column.yearish):
        plan.distinct = True  # "in which years were cars this heavy produced": each year once


def finish(state: PlanState) -> None:
    """Completes the plan once every mention is read (see the module docstring)."""
    cursor = state.cursor
    _leave_out_summary_rows(state)
    plan = state.plan
    if plan.correlation is not None:
        for beside in plan.select:  # "by day and time": every column shown beside r is a group
            if beside.agg is None and all(g.key() != beside.key() for g in plan.group):
                plan.group.append(beside)
        plan.select, plan.order, plan.limit = list(plan.group), [], None
        return  # the answer is r itself, per group when grouped
    if plan.difference is not None:
        plan.select, plan.order, plan.group = [], [], []
        if plan.difference.ranked is None:
            plan.limit = None  # a ranked change per label (`which continent grew the most`) keeps its limit
        return  # the answer is the difference (or the comparison) itself
    plain = [e for e in plan.select if e.agg is None]
    asked = list(plan.select)  # what the question itself asked for, before any default is shown
    yes_no_over_all_rows = plan.answer == "yes_no" and bool(plan.having) and not plan.group
    if state.count_requested:
        plan.add_select(COUNT_ROWS)
    for expr, _ in plan.order:
        if expr.agg in _AGG_WORDS:
            plan.add_select(expr)  # "order the continents by average life expectancy" shows it
    _superlative_among_aggregates(state)
    has_agg = any(e.agg for e in plan.select)
    if state.count_requested and COUNT_ROWS.key() != count_expr(state).key():
        plan.select = [count_expr(state) if e.key() == COUNT_ROWS.key() else e for e in plan.select]
    if state.rank_groups_by is not None:
        descending, expr = state.rank_groups_by
        ranked_as_is = [e for e in plain if expr.agg is not None and e.column is not None and e.column is expr.column]
        if ranked_as_is and len(ranked_as_is) < len(plain):
            # "which constructor scored the most points": the points are what the groups are ranked
            # by, added up per constructor, not a second key each value of which is its own group
            plan.select = [e for e in plan.select if e not in ranked_as_is]
            plain = [e for e in plain if e not in ranked_as_is]
        if not plan.group:
            targets = plain or _yes_no_subject(state) or [Expr(state.schema.display_column)]
            for t in targets:
                plan.group.append(t)
                plan.add_select(t)
        plan.order.insert(0, (expr, descending))
        if not (_asks_for_a_label(state) and plan.limit is not None):
            plan.add_select(expr)
        plan.order.extend((g, descending) for g in plan.group)  # ties broken the same way every time
    elif (has_agg or plan.having or state.group_all or plan.share_ranked is not None) and plain and not plan.group:
        plan.group = list(plain)
    if plan.group:
        for e in plain:
            if all(g.key() != e.key() for g in plan.group):
                plan.group.append(e)  # every shown column is either grouped or aggregated
    if plan.having and not plan.group and not yes_no_over_all_rows:
        targets = plain or [Expr(state.schema.display_column)]
        plan.group = list(targets)
        for t in targets:
            plan.add_select(t)
    if plan.share and not plan.group:
        plan.where, plan.share_filter = _share_base_and_part(state, plan.where)
    elif plan.share:
        # "percentage of passengers who survived in each class" is a rate within each group; with
        # only time or `of the` conditions it stays each group's share of the total
        whole = [group for group in plan.where if _limits_the_whole(state, group)]
        plan.share_filter = [group for group in plan.where if not _limits_the_whole(state, group)]
        plan.where = whole
    if not plan.select and not plan.star and not plan.share:
        rows_asked = any(mention.kind == "table" and mention.row_noun for mention in cursor.mentions)
        if state.asked_value is not None:
            plan.add_select(Expr(state.asked_value))
        elif (
            not rows_asked
            and state.schema.display_is_identifier
            and (plan.order or plan.where or plan.row_comparison or _mentions_table(state))
            and not _opens_with_superlative(state)
        ):
            plan.add_select(Expr(state.schema.display_column))
        elif rows_asked or not plan.order:
            plan.star = True
    _label_named_values(state)
    _categories_once(state)
    # resolve "order by whatever is shown"
    resolved = []
    for expr, descending in plan.order:
        if expr is ORDER_BY_SHOWN:
            shown = [e for e in plan.select if e.agg is None and e.column is not None]
            counted = [e for e in plan.select if e.agg]
            if plan.group and counted and not shown:
                resolved.append((counted[0], descending))
            elif shown:
                texty = [e for e in shown if e.column is not None and e.column.text] or shown
                resolved.append((texty[0], descending))
            continue
        if expr is ORDER_BY_SHOWN_MEASURE:
            counted = [e for e in plan.select if e.agg]
            shown = [e for e in plan.select if e.agg is None and e.column is not None]
            measures = [e for e in shown if e.column is not None and (e.column.numeric or e.column.temporal)]
            chosen = (counted if plan.group else []) or measures or counted or shown
            if chosen:
                resolved.append((chosen[0], descending))
            continue
        resolved.append((expr, descending))
    plan.order = []
    for expr, descending in (_prefer_group_column(state, expr, descending) for expr, descending in resolved):
        if all(expr.key() != kept.key() for kept, _ in plan.order):
            plan.order.append((expr, descending))
    if state.pending_limit and plan.limit is None:
        plan.limit = state.pending_limit
        if not plan.order and state.pending_descending is not None:
            measures = [e for e in plan.select if e.column is not None and e.column.numeric_measure]
            if measures:
                plan.order.append((measures[0], state.pending_descending))
    # show what the rows were ordered by, next to what was asked (unless a label alone was asked)
    picked_label = plan.limit is not None and bool(plan.select) and (
        _asks_for_a_label(state) or (bool(asked) and bool(_question_words(state)) and not _order_named(state))
    )
    plain_rows = not plan.group and not plan.distinct and not plan.star and not any(e.agg for e in plan.select)
    if plain_rows and not picked_label:
        for expr, _ in plan.order:
            plan.add_select(expr)
    if plain_rows:
        _only_the_label(state)
    if plan.group and not plan.share:
        _order_groups(state)
        # the labels first, then the measures: tables and charts read left to right
        plan.select = [e for e in plan.select if e.agg is None] + [e for e in plan.select if e.agg]


_LABEL_QUESTION_WORDS = frozenset(("which", "what", "who", "whom", "whose"))
_LEADING_PREPOSITIONS = frozenset(("on", "in", "at", "for", "during", "from", "by", "of"))
_IMPERATIVE_LEADS = frozenset(("name", "identify", "tell", "give"))


def _question_words(state: PlanState) -> list[Token]:
    """The question's words from its question word on (`on which date …` -> which date …), or none
    when it does not start with one."""
    words = [token for token in state.tokens if token.kind == "word"]
    start = 1 if words and words[0].low in _LEADING_PREPOSITIONS else 0
    if len(words) > 2 and words[0].low in _IMPERATIVE_LEADS and words[1].low == "the":
        # "name the country with the lowest …" asks which country, as `which country …` would
        return [replace(words[1], text="which", low="which"), *words[2:]]
    return words[start:] if len(words) > start and words[start].low in _LABEL_QUESTION_WORDS else []


def _order_named(state: PlanState) -> bool:
    """Whether the question names a column the rows are ordered by (`the smallest version number`);
    `the last competition` orders by a year nobody asked for."""
    named = {column.name for mention in state.cursor.mentions if mention.kind == "column" for column in mention.columns}
    return any(expr.column is None or expr.column.name in named for expr, _ in state.plan.order)


def _asks_for_a_label(state: PlanState) -> bool:
    """`which nation won the most gold medals?`, `on which date did the most deaths occur?`, `who
    placed last?`: the answer is the label picked; the number it was picked by stays in the ORDER
    BY, not in the rows. `what was the coldest temperature` asks for the number itself."""
    words = _question_words(state)
    if not words or state.plan.answer != "rows" or state.count_requested:
        return False
    following = words[1] if len(words) > 1 else None
    if words[0].low in ("who", "whom") or (
        words[0].low == "which" and following is not None and (following.low == "of" or _is_verb(state, following))
    ):
        return True  # "which is the largest island", "which had …", "which of the riders …": one of the labels
    # "which day", "what country": a label named right after the question word
    return following is not None and any(
        mention.start <= following.index < mention.end
        and (mention.kind in ("column", "table") or (mention.kind == "kw" and mention.has("wh")))
        for mention in state.cursor.mentions
    )


def _only_the_label(state: PlanState) -> None:
    """`which driver scored the most points?`, `what country is previous in rank to Germany?`: one
    row picked and its label asked, so the label alone answers; the column the row was picked by
    (said as `scored` or `in rank`) stays in the ORDER BY. Two things asked (`name and age`) stay."""
    plan = state.plan
    one_row = plan.limit == 1 or plan.position is not None
    if not one_row or len(plan.select) < 2 or not _asks_for_a_label(state):
        return
    if any(mention.kind == "kw" and mention.has("and") for mention in state.cursor.mentions):
        return
    label = _label_asked(state)
    if label is not None and any(expr.key() == label.key() for expr in plan.select):
        plan.select = [label]


def _label_asked(state: PlanState) -> Expr | None:
    """The column named right after the question word (`which driver`), or the rows' name column
    for the rows' noun (`which player`, `which one`)."""
    words = _question_words(state)
    if len(words) < 2:
        return None
    following = words[1]
    if following.low == "of":  # "which of the riders": the rows' noun after `of the`
        following = next((word for word in words[2:] if word.low not in ("the", "these", "those")), following)
    elif words[0].low == "which" and _is_verb(state, following):
        return Expr(state.schema.display_column)  # "which had the largest attendance"
    for mention in state.cursor.mentions:
        if mention.start <= following.index < mention.end:
            if mention.kind == "column" and mention.columns:
                return Expr(mention.column)
            if mention.kind == "table":
                return Expr(state.schema.display_column)
            return None
    return None


def _is_verb(state: PlanState, word: Token) -> bool:
    """A word right after `which` that is a verb of the sentence, not a label (`which had …`)."""
    placed = any(
        mention.start <= word.index < mention.end and mention.kind in ("column", "table", "value")
        for mention in state.cursor.mentions
    )
    return not placed and (
        word.low in ("is", "was", "are", "were") or is_inflected_verb(word.low) or is_verb_only(word.low)
    )


def _yes_no_subject(state: PlanState) -> list[Expr]:
    """`Was Sat the day with the highest total tip?`: days are compared, Sat is checked."""
    if state.plan.answer != "yes_no":
        return []
    named = [
        g[0].expr for g in state.plan.where if g[0].op == "=" and g[0].expr.column is not None and g[0].expr.column.text
    ]
    return named[:1]


def _superlative_among_aggregates(state: PlanState) -> None:
    """`how many people live in Asia, and what is the largest GNP among them`: next to other
    totals, a superlative is the largest value, not the row that has it."""
    plan = state.plan
    if plan.group or state.rank_groups_by is not None or plan.limit != 1 or len(plan.order) != 1:
        return
    if not any(e.agg for e in plan.select) or any(e.agg is None for e in plan.select):
        return
    expr, descending = plan.order[0]
    if expr.agg is None and expr.column is not None and expr.column.numeric:
        plan.add_select(Expr(expr.column, "max" if descending else "min"))
        plan.order, plan.limit = [], None


def _order_groups(state: PlanState) -> None:
    """Grouped answers always come back in the same, sensible order unless the question gave one.

    Groups with a natural order (time, years, numbers such as a party size) are listed in that
    order; groups of labels are ranked by the first measure, largest first. The group keys
    break ties, so two runs never differ.
    """
    plan = state.plan
    keys = [(g, False) for g in plan.group]
    if plan.order:
        plan.order.extend(k for k in keys if all(k[0].key() != o.key() for o, _ in plan.order))
        return
    first = plan.group[0]
    ordered_domain = first.bucket is not None or (
        first.column is not None and (first.column.temporal or first.column.yearish or first.column.numeric)
    )
    measures = [e for e in plan.select if e.agg]
    if ordered_domain or not measures:
        plan.order = keys
    else:
        plan.order = [(measures[0], True), *keys]


def _prefer_group_column(state: PlanState, expr: Expr, descending: bool) -> tuple[Expr, bool]:
    """`ordered by id` in a grouped answer means the grouped id, not another id column."""
    plan = state.plan
    if not plan.group or expr.agg or expr.column is None or any(g.column is expr.column for g in plan.group):
        return expr, descending
    for g in plan.group:
        if g.column is not None and g.column.word_set & expr.column.word_set:
            return g, descending
    return expr, descending


def _opens_with_superlative(state: PlanState) -> bool:
    """`highest AAPL`, `lowest price in 2019`: a phrase that opens with its superlative asks for the
    value, as `the highest tip` does in a table whose rows have no names."""
    cursor = state.cursor
    first = cursor.at(1 if cursor.mentions and cursor.mentions[0].low in ("the", "a") else 0)
    return (
        first is not None
        and first.kind == "kw"
        and (first.has("sup") or first.has("supcol"))
        and not _mentions_table(state)
        and len(state.plan.order) == 1
    )


def _mentions_table(state: PlanState) -> bool:
    cursor = state.cursor
    return any(mention.kind == "table" for mention in cursor.mentions)


def _share_base_and_part(state: PlanState, where: list[list[Cond]]) -> tuple[list[list[Cond]], list[list[Cond]]]:
    """`what share of sales came from Europe in 2020` is 2020-Europe over 2020-all: a time
    condition, or one the question puts after `of the`/`among` (`percentage of the children that
    survived`), limits both parts; the other conditions pick the part. When nothing would be left
    for the part, every condition picks it (`share of Europe`)."""
    base = [group for group in where if _limits_the_whole(state, group)]
    part = [group for group in where if not _limits_the_whole(state, group)]
    if not part:  # "in the latest month" is where to look, never the part itself
        return [g for g in where if _picks_an_extreme(g)], [g for g in where if not _picks_an_extreme(g)]
    return base, part


def _picks_an_extreme(group: list[Cond]) -> bool:
    return any(cond.op == "extreme" for cond in group)


def _limits_the_whole(state: PlanState, group: list[Cond]) -> bool:
    if all(
        cond.year_of or (cond.expr.column is not None and (cond.expr.column.temporal or cond.expr.column.yearish))
        for cond in group
    ):
        return True
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if not _names_condition(mention, group):
            continue
        j = i - 1
        while j >= 0 and cursor.mentions[j].low in ("the", "all", "all the", "those"):
            j -= 1
        if j >= 0 and cursor.mentions[j].low in ("of", "among", "amongst", "of all", "of the"):
            return True
    return False


def _names_condition(mention: Mention, group: list[Cond]) -> bool:
    names = {(cond.expr.column.name, value) for cond in group if cond.expr.column for value in cond.values}
    if mention.kind == "column":  # a yes/no column named by its word: "of the survivors"
        return any(
            cond.expr.column in mention.columns and all(isinstance(v, bool) for v in cond.values) for cond in group
        )
    return mention.kind == "value" and any((column.name, value) in names for column, value in mention.values)
