"""Passes that filter rows on what the question names: text patterns (`containing`), stored values,
yes/no columns, empty columns, and the row before or after a named one."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lumiere.nlq.lexicon import word_forms
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Cond, Expr
from lumiere.nlq.planner.shared import PLACE_PREPOSITIONS, add_condition, negated_before
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef

_RELATIVE_CUES = frozenset(
    "that who which whose with are is were was been be have has having where by for among".split()
)


def like_filters(state: PlanState) -> None:
    """`whose name contains 'son'`, `starting with A`: a text pattern on a column."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not mention.has("like"):
            continue
        mode = mention.payload("like")
        j = cursor.next_index(i, skip=("stop", "punct", "filler"))
        extra_words = []
        # further like-words ("containing the substring ...") before the literal
        while j is not None and cursor.is_keyword(j, "like") and cursor.mentions[j].kind != "quoted":
            extra_words.append(cursor.mentions[j])
            j = cursor.next_index(j, skip=("stop", "punct", "filler"))
        literal_mention = cursor.at(j)
        if (
            literal_mention is None
            or literal_mention.used
            or literal_mention.kind not in ("quoted", "unknown", "value", "number")
        ):
            continue
        literal = literal_mention.text.strip()
        column = _like_column(state, i, j, literal_mention)
        mention.used = literal_mention.used = True
        for word in extra_words:
            word.used = True
        pattern = {"contains": f"%{literal}%", "starts": f"{literal}%", "ends": f"%{literal}"}[mode]
        negated = negated_before(state, i)
        add_condition(state, Cond(Expr(column), "notlike" if negated else "like", [pattern]))


def _like_column(state: PlanState, i: int, j: int | None, literal: Mention) -> ColumnRef:
    cursor = state.cursor
    if literal.kind == "value":
        return literal.values[0][0]
    # "whose name contains ..." (column before) or "... in their description" (column after)
    for k in (cursor.previous_index(i), cursor.next_index(j, skip=("stop", "punct", "filler"))):
        mention = cursor.at(k)
        if cursor.is_index(k) and mention is not None and mention.kind == "column" and not mention.used:
            text_cols = [c for c in mention.columns if c.text] or mention.columns
            mention.used = True
            owner = _owner_of_name(state, k)
            return owner if owner is not None else text_cols[0]
    return state.schema.display_column


def _owner_of_name(state: PlanState, k: int) -> ColumnRef | None:
    """`the state whose name contains ...`: the name is the state's, not a name column."""
    cursor = state.cursor
    if cursor.mentions[k].low not in ("name", "names", "title", "value"):
        return None
    before = k - 2
    if (
        before >= 0
        and cursor.mentions[before].kind == "column"
        and cursor.mentions[k - 1].low in ("whose", "with", "where")
    ):
        owner = cursor.mentions[before]
        owner.used = True
        return owner.column
    return None


def position_filter(state: PlanState) -> None:
    """`the episode after X`: the row next to the one a stored value names."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not mention.has("position"):
            continue
        anchors = [
            k
            for k in range(i + 1, len(cursor.mentions))
            if cursor.mentions[k].kind == "value" and not cursor.mentions[k].used
        ]
        anchors += [k for k in range(i) if cursor.mentions[k].kind == "value" and not cursor.mentions[k].used]
        if not anchors:
            continue
        column, value = _choose_value_column(state, anchors[0])
        cursor.mentions[anchors[0]].used = True
        offset = mention.payload("position")
        for other in cursor.mentions:
            if other.kind == "kw" and other.payload("position") == offset:
                other.used = True  # "the next episode after X" says it twice
        state.plan.position = (Cond(Expr(column), "=", [value]), offset)
        return


def value_filters(state: PlanState) -> None:
    """`in Europe`, `not on Sunday`: a stored value filters its column."""
    cursor = state.cursor
    excluded: tuple[int, ColumnRef] | None = None  # the last value a `not`/`excluding` applied to
    for i, mention in enumerate(cursor.mentions):
        if mention.kind != "value" or mention.used:
            continue
        column, value = _choose_value_column(state, i)
        mention.used = True
        op = "!=" if negated_before(state, i) or _listed_after(state, excluded, i, column) else "="
        excluded = (i, column) if op == "!=" else None
        same = [
            (k, group)
            for k, group in enumerate(state.plan.where)
            if all(c.expr.column is column and c.op in ("=", "!=") and not c.year_of for c in group)
        ]
        cond = Cond(Expr(column), op, [value])
        if same and op == "=" and all(c.op == "=" for c in state.plan.where[same[0][0]]):
            state.plan.where[same[0][0]].append(cond)
        else:
            add_condition(state, cond)


def _listed_after(state: PlanState, excluded: tuple[int, ColumnRef] | None, i: int, column: ColumnRef) -> bool:
    """`excluding Asia and Europe`: a value listed right after an excluded one of its column is
    excluded too."""
    if excluded is None or excluded[1] is not column:
        return False
    between = state.cursor.mentions[excluded[0] + 1 : i]
    return all(m.kind in ("stop", "punct") or (m.kind == "kw" and (m.has("and") or m.has("or"))) for m in between)


def _choose_value_column(state: PlanState, i: int) -> tuple[ColumnRef, Any]:
    cursor = state.cursor
    mention = cursor.mentions[i]
    options = mention.values
    before = cursor.previous_index(i, skip=("stop", "filler", "punct"))
    if cursor.is_keyword(before, "neg") or (
        cursor.is_index(before) and cursor.mentions[before].payload("cmp") == "!="
    ):
        before = cursor.previous_index(before, skip=("stop", "filler", "punct"))
    if cursor.is_keyword(before, "between") and cursor.mentions[before].low == "from":
        before = cursor.previous_index(before, skip=("stop", "filler", "punct"))  # "flights departing from APG"
    neighbours = [before, cursor.next_index(i, skip=("stop", "filler"))]
    for k in neighbours:
        near = cursor.at(k)
        if cursor.is_index(k) and near is not None and near.kind in ("column", "table") and not near.used:
            fitting = [(column, value) for column, value in options if column in near.columns]
            if len(fitting) > 1:
                fitting = _narrowed_by_words_before(state, k, fitting)
            if fitting:
                near.used = True
                return fitting[0]
    if len(options) > 1:
        window = state.tokens[max(0, mention.start - 3) : mention.start]
        for column, value in options:
            for token in window:
                if any(matcher.matches(token.forms, token.low) for matcher in column.words):
                    return column, value
        state.plan.notes.append(
            f"'{mention.text}' appears in several columns ({', '.join(c.name for c, _ in options)}); "
            f"filtered on {options[0][0].name}."
        )
    return options[0]


def _narrowed_by_words_before(
    state: PlanState, k: int, fitting: list[tuple[ColumnRef, Any]]
) -> list[tuple[ColumnRef, Any]]:
    """`arriving at airport APG`: `airport` fits two columns, `arriving` says which."""
    cursor = state.cursor
    before = cursor.previous_index(k, skip=("stop", "filler", "punct"))
    mention = cursor.at(before)
    if mention is not None and mention.kind == "column" and not mention.used:
        narrowed = [(column, value) for column, value in fitting if column in mention.columns]
        if narrowed:
            mention.used = True
            return narrowed
    return fitting


def boolean_filters(state: PlanState) -> None:
    """`smokers`, `how many vegetarians`: a yes/no column named as a property."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.kind != "column" or mention.used:
            continue
        flags = [c for c in mention.columns if c.boolean_values is not None]
        if not flags:
            continue
        before = cursor.at(i - 1)
        if _groups_by_it(state, i):
            continue  # "average tip by smoker": a group each, not the smokers only ("tips by smokers" is)
        cue = before is not None and (
            before.low in _RELATIVE_CUES
            or before.kind in ("table", "filler", "value")
            or (before.kind == "kw" and before.has("neg"))
        )
        count_index = cursor.previous_index(i)
        count_before = cursor.is_keyword(count_index, "count")
        # "what percentage of the survivors", "among smokers": the rows the share is taken of
        cue = cue or cursor.is_keyword(count_index, "share") or _follows(state, i, ("among", "amongst", "of"))
        if not (cue or count_before) and not mention.low.endswith("s"):
            continue
        if not (cue or count_before):
            continue
        column = flags[0]
        truthy, falsy = column.boolean_values  # type: ignore[misc]
        negated = negated_before(state, i) != mention.has("opposite")  # "did not die": survived
        mention.used = True
        add_condition(state, Cond(Expr(column), "=", [falsy if negated else truthy]))
        if cursor.is_keyword(count_index, "count"):
            state.count_requested = True
            cursor.mentions[count_index].used = True


def rate_filters(state: PlanState) -> None:
    """`survival rate`, `cancellation rate`: the share of rows where the flag (or value) the word
    names holds; the linker found which (lumiere.nlq.value_linking.link_rates)."""
    for mention in state.cursor.mentions:
        if mention.used or mention.kind != "kw" or not mention.has("rate"):
            continue
        column, value = mention.payload("rate")
        mention.used = True
        state.plan.share = True
        add_condition(state, Cond(Expr(column), "=", [value]))


def _groups_by_it(state: PlanState, i: int) -> bool:
    """`by smoker` groups by the column; `by smokers` and `paid by smoker` name who did it."""
    mentions = state.cursor.mentions
    if i < 1 or mentions[i - 1].low != "by" or mentions[i].low.endswith("s"):
        return False
    return not (i > 1 and mentions[i - 2].kind == "filler")


def absence_filters(state: PlanState) -> None:
    """`drivers with no laps led`, `designers who do not have a publication`: the column is empty."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not mention.has("neg"):
            continue
        j = cursor.next_index(i, skip=("stop", "filler"))
        target = cursor.at(j)
        if target is None or target.kind != "column" or target.used:
            continue
        follower = cursor.at(cursor.next_index(j, skip=("stop", "filler")))
        if follower is not None and follower.kind in ("value", "number", "quoted"):
            continue
        mention.used = target.used = True
        add_condition(state, Cond(Expr(target.column), "empty", []))


def missing_filters(state: PlanState) -> None:
    """`days when the ozone reading is missing`, `rows with a blank email`: the column has no value."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or not cursor.is_keyword(i, "missing"):
            continue
        before = cursor.previous_index(i, skip=("stop", "filler", "punct"))
        if cursor.is_keyword(before, "neg"):
            before = cursor.previous_index(before, skip=("stop", "filler", "punct"))  # "X is not missing"
        for j in (before, cursor.next_index(i, skip=("stop", "filler", "punct"))):
            target = cursor.at(j)
            if target is not None and target.kind == "column" and not target.used:
                mention.used = target.used = True
                excluded = _excluded_before(state, i)
                add_condition(state, Cond(Expr(target.column), "present" if excluded else "missing", []))
                break


def _excluded_before(state: PlanState, i: int) -> bool:
    """`leaving out animals whose diet is unknown`, `where the ozone is not missing`: the rows kept
    are those that have a value. Marks the word that said so as used."""
    cursor = state.cursor
    for k in range(i - 1, -1, -1):
        mention = cursor.mentions[k]
        if mention.kind == "punct" or (mention.kind == "kw" and mention.has("group")):
            return False  # another clause
        if mention.used or mention.kind != "kw":
            continue
        if mention.has("neg") or (mention.has("cmp") and mention.payload("cmp") == "!="):
            mention.used = True
            return True
    return False


def extreme_value_filters(state: PlanState) -> None:
    """`median length at the highest dose`, `cereals on the top shelf`, `spending in the latest
    month`: a superlative after a preposition of place picks the rows at the column's extreme value;
    it is not a second number to show nor an order."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not _follows(state, i, PLACE_PREPOSITIONS):
            continue
        direction = _extreme_direction(mention)
        target = cursor.at(i + 1)
        if direction is None or target is None or target.used:
            continue
        expr = _extreme_target(state, target)
        if expr is None or expr.column is None:
            continue
        if mention.has("supcol") and not (expr.column.temporal or expr.column.yearish):
            continue  # "in the hottest month": the month whose temperature is highest, not the last month
        mention.used = target.used = True
        add_condition(state, Cond(expr, "extreme", ["max" if direction == "desc" else "min"]))


_CALENDAR_UNITS = {"day": None, "date": None, "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def _extreme_target(state: PlanState, target: Mention) -> Expr | None:
    """The number or date a place superlative picks: a column (`the highest dose`), or a unit of
    time naming the rows of the one date column (`the latest month`: that month's rows, all of them)."""
    if target.kind == "column":
        column = target.column
        return Expr(column) if column.temporal or (column.numeric and not column.numeric_text) else None
    units = [unit for unit in _CALENDAR_UNITS if unit in word_forms(target.low)]
    dates = [column for column in state.schema.columns if column.temporal]
    if target.kind != "table" or not target.row_noun or len(units) != 1 or len(dates) != 1:
        return None
    return Expr(dates[0], bucket=_CALENDAR_UNITS[units[0]])


def _extreme_direction(mention: Mention) -> str | None:
    """`highest`, `top` (not `top 3`: the number makes it a limit), or `latest` of a date."""
    if mention.has("sup"):
        return str(mention.payload("sup"))
    reading = mention.payload("supcol")
    if isinstance(reading, tuple) and reading[1:] == ("time",):
        return str(reading[0])
    return None


def _follows(state: PlanState, i: int, words: Collection[str]) -> bool:
    """Whether one of `words` comes right before mention i, past articles."""
    k = i - 1
    while k >= 0 and state.cursor.mentions[k].low in ("the", "a", "an", "all", "all the"):
        k -= 1
    return k >= 0 and state.cursor.mentions[k].low in words
