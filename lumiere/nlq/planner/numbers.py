"""The pass that reads numbers as filters: `above 20`, `between 1990 and 2000`, `in 2007`, `more
than one employee` (a count per group), with the column each number belongs to."""

from __future__ import annotations

import re
from typing import Any

from lumiere.nlq.lexicon import said_as_percent
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import COUNT_ROWS, Cond, Expr, MonthOfYear, Unplaced
from lumiere.nlq.planner.shared import NEGATED, add_condition, first_numeric_column, looks_like_year, prefer_mentioned
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef
from lumiere.nlq.semantic_words import UNIT_WORDS, unit_fits_column

_YEAR_PREPOSITIONS = frozenset("in during of for on at from".split())
# Names of columns that hold percentages, shares or rates, whatever their values.
_PERCENT_NAMES = frozenset("percent percentage pct share rate ratio proportion fraction".split())
# Aggregates that stay within the column's values, so the values' range still tells their unit.
_VALUE_AGGREGATES = (None, "avg", "min", "max", "median")
_NUMBER_LINKS = frozenset("than of the a an is are was were".split())
_EQUALITY_LINKS = frozenset("of is are was were be equal equals to the a an".split())
# What a compared number is measured in ("above 80 years", "over 12 mph"): the semantic layer's
# unit spellings plus calendar spans, which that list leaves out because "days" or "years" may be
# the rows themselves ("how many days were hotter").
_CALENDAR_UNITS = frozenset("day days week weeks wk wks month months year years yr yrs".split())
_NUMBER_UNITS = UNIT_WORDS | _CALENDAR_UNITS
# Weights and money are stored in too many units and scales (`wt` in 1000 lb, spending in billions)
# for a number within the column's values to tell that the question's unit is the column's.
_SCALED_UNITS = frozenset(
    "lb lbs pound pounds kg kgs kilo kilos kilogram kilograms g gram grams gr mg $ dollar dollars usd buck bucks "
    "€ euro euros eur £ gbp".split()
)


def number_filters(state: PlanState) -> None:
    """Each number left over is a condition on the column it belongs to; numbers joined by
    `and`/`or` share that column."""
    cursor = state.cursor
    previous_subject: tuple[Expr, bool] | None = None
    previous_op: str | None = None
    previous_end = -1
    for i, mention in enumerate(cursor.mentions):
        if mention.kind != "number" or mention.used:
            continue
        op, op_index, concept, explicit, inner_subject = _operator_before(state, i)
        after = cursor.next_index(i, skip=("stop",))
        if op is None and cursor.is_keyword(after, "cmp") and cursor.mentions[after].payload("cmp") in (">=", "<="):
            op, op_index, explicit = cursor.mentions[after].payload("cmp"), after, True
            cursor.mentions[after].used = True
            after = cursor.next_index(after, skip=("stop",))
        values: list[Any] = [mention.number]
        if mention.has("decade") and op in (None, "=") and mention.number is not None:
            op, values = "between", [mention.number, mention.number + mention.payload("decade") - 1]
        elif op == "between":
            second = _between_second(state, i)
            if second is None:
                op = None
            else:
                values.append(cursor.mentions[second].number)
                cursor.mentions[second].used = True
                after = cursor.next_index(second, skip=("stop",))
        connector = _connector(state, previous_end, op_index if op_index is not None else i)
        subject = _number_subject(state, i, op_index, concept, after, values[0], explicit, inner_subject)
        # "no less than 3000 and no more than 4000", "above 20 and below 25": the second bound of a
        # range is on the same column
        said_with_and = op_index is not None and cursor.mentions[op_index].low.startswith("and ")
        if said_with_and and op in ("<=", ">=") and op_index is not None and op_index < i:
            op = op[0]  # "and below 25" before its number is "below 25"; "25 and below" keeps 25
        connector = "and" if said_with_and and previous_subject is not None else connector
        closes_range = connector == "and" and _opposite_bounds(previous_op, op)
        if subject is None and previous_subject is not None and (op in (None, "=") or closes_range):
            subject = previous_subject if connector is not None else None
        if subject is None:
            continue
        expr, is_having = subject
        if _word_number_against_text(mention, expr, op):
            continue  # "an album that wasn't a single": `single` is no count of albums
        _check_years_against_a_measure(state, expr, values, mention)
        values = _percent_as_stored(state, expr, values, mention)
        mention.used = True
        if op_index is not None:
            cursor.mentions[op_index].used = True
        cond = Cond(expr, op or "=", values, year_of=bool(expr.column and expr.column.temporal and not is_having))
        cond = _year_inside_text(cond)
        if is_having:
            state.plan.having.append(cond)
        else:
            add_condition(state, cond, join_previous=connector == "or")
        previous_subject, previous_end, previous_op = subject, i, op


def _word_number_against_text(said: Mention, expr: Expr, op: str | None) -> bool:
    """A number said as a word (`single`, `one`) made equal to a text column: the word means
    something else there, so it stays unread rather than filtering the text on the digit."""
    column = expr.column
    return (
        said.low.isalpha()
        and op in (None, "=", "!=")
        and expr.agg is None
        and column is not None
        and column.text
        and not column.numeric_text
    )


def _opposite_bounds(first: str | None, second: str | None) -> bool:
    """`above 3 and below 4`: a lower and an upper bound, in either order."""
    lower, upper = (">", ">="), ("<", "<=")
    return (first in lower and second in upper) or (first in upper and second in lower)


def _check_years_against_a_measure(state: PlanState, expr: Expr, values: list[Any], said: Mention) -> None:
    """`life expectancy dropped between 2002 and 2007`: years compared with a measure that never
    comes near them are a time span the question says something else about (a change), not a
    range of that measure; refused rather than answered with no rows."""
    column = expr.column
    if column is None or expr.agg is not None or not column.numeric or column.yearish or column.temporal:
        return
    low, high = column.info.min, column.info.max
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return
    numbers = [v for v in values if isinstance(v, int | float)]
    if not numbers or not all(looks_like_year(v) and not low <= v <= high for v in numbers):
        return
    if not state.schema.concept_columns("time"):
        return
    raise Unplaced(
        [said.text],
        f"{said.text} looks like a year, but {column.name} holds values from {low:g} to {high:g}. "
        "Say which column the year is in (for example 'in 2007'), one question at a time.",
    )


def _percent_as_stored(state: PlanState, expr: Expr, values: list[Any], said: Mention) -> list[Any]:
    """`turnout above 70%`: a percentage compared with a column of percentages as stored (70) or of
    fractions (`vote_share` holding 0.1..0.45 is compared with 0.7). A column named as a percentage,
    share or rate holds them; so does one whose values the number falls within, as for any unit.
    Any other column holds amounts the percentage is not one of (`tip` in dollars: "tipped over
    20%" is a share of the bill), so the question is refused rather than compared with 20."""
    column = expr.column
    if not said_as_percent(said.text) or column is None or not column.numeric or expr.agg not in _VALUE_AGGREGATES:
        return values
    low, high = column.info.min, column.info.max
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return values  # a worked-out column (`tip as % of total_bill`) or an empty one: nothing to go by
    numbers = [v for v in values if isinstance(v, int | float)]
    fractions = low >= -1 and high <= 1 and any(abs(v) > 1 for v in numbers)
    if fractions and all(low <= v / 100 <= high or column.word_set & _PERCENT_NAMES for v in numbers):
        state.plan.notes.append(f"I read '{said.text}' as {numbers[0] / 100:g}, since {column.name} holds fractions.")
        return [v / 100 if isinstance(v, int | float) else v for v in values]
    if column.word_set & _PERCENT_NAMES or all(low <= v <= high for v in numbers):
        return values
    whole = next((c.name for c in state.schema.columns if c.numeric_measure and c is not column), "another column")
    raise Unplaced(
        [said.text],
        f"{said.text} is a percentage, but {column.name} holds amounts from {low:g} to {high:g}, not percentages. "
        f"Compare {column.name} with an amount as stored, or say what it is a percentage of "
        f"(for example '{column.name} more than {said.text} of {whole}').",
    )


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(1[0-9]|2[0-2])\d\d(?!\d)")


def _year_inside_text(cond: Cond) -> Cond:
    """`aired in 1997` over a text column of dates written out ("September 7, 1997"): the rows
    whose text holds that year, since no cell equals "1997"."""
    column = cond.expr.column
    year = cond.values[0] if len(cond.values) == 1 else None
    if column is None or not column.text or column.numeric_text or cond.op != "=" or cond.expr.agg is not None:
        return cond
    if not isinstance(year, float | int) or not looks_like_year(year):
        return cond
    samples = [str(value) for value in column.info.samples if value is not None]
    written_out = [value for value in samples if _YEAR_IN_TEXT.search(value) and not value.strip().isdigit()]
    if not samples or len(written_out) < len(samples):
        return cond
    return Cond(cond.expr, "like", [f"%{int(year)}%"])


def _connector(state: PlanState, previous_end: int, start: int) -> str | None:
    cursor = state.cursor
    if previous_end < 0:
        return None
    between = cursor.mentions[previous_end + 1 : start]
    if any(x.kind == "kw" and x.has("or") for x in between):
        return "or"
    if any(x.kind == "kw" and x.has("and") for x in between) or any(x.low == "," for x in between):
        return "and"
    return None


def _operator_before(state: PlanState, i: int) -> tuple[str | None, int | None, str | None, bool, int | None]:
    """(op, index of the operator mention, implied concept, operator said explicitly, index of the
    column said between the operator and the number: `above age 20`)."""
    cursor = state.cursor
    k = i - 1
    saw_than = False
    steps = 0
    inner_subject: int | None = None
    adjacent = True  # only "than"/"of"/articles may separate that column from the number
    while k >= 0 and steps < 4:
        mention = cursor.mentions[k]
        if mention.kind == "stop" or mention.kind == "punct":
            saw_than = saw_than or mention.low == "than"
            if mention.kind == "punct" and mention.low in ",;.?!":
                break
            adjacent = adjacent and mention.low in _NUMBER_LINKS
            k -= 1
            continue
        if mention.kind == "column" and not mention.used and steps == 0 and inner_subject is None and adjacent:
            # "above age 20", "a greater weight than 10": the column sits between operator and number
            inner_subject = k
            k -= 1
            steps += 1
            continue
        if mention.kind == "kw" and not mention.used:
            if mention.has("cmpcol"):
                op, concept = mention.payload("cmpcol")
                return _maybe_negate(state, k, op), k, concept, True, inner_subject
            if mention.has("cmp"):
                return _maybe_negate(state, k, mention.payload("cmp")), k, None, True, inner_subject
            if mention.has("between"):
                return "between", k, None, True, inner_subject
            if saw_than and mention.has("sup"):
                return (">" if mention.payload("sup") == "desc" else "<"), k, None, True, inner_subject
            if mention.has("neg"):
                return "!=", k, None, True, inner_subject
            if mention.has("or") or mention.has("and"):
                return None, None, None, False, inner_subject
        if mention.kind == "filler":
            k -= 1
            continue
        break
    return None, None, None, False, None


def _maybe_negate(state: PlanState, k: int, op: str) -> str:
    cursor = state.cursor
    before = cursor.previous_index(k, skip=("stop",))
    if cursor.is_keyword(before, "neg") and not cursor.mentions[before].used:
        cursor.mentions[before].used = True
        return NEGATED[op]
    return op


def _between_second(state: PlanState, i: int) -> int | None:
    cursor = state.cursor
    j = cursor.next_index(i, skip=("stop", "punct"))
    if j is not None and (cursor.is_keyword(j, "and") or cursor.mentions[j].low == "to"):
        k = cursor.next_index(j, skip=("stop",))
        if k is not None and cursor.mentions[k].kind == "number":
            return k
    if j is not None and cursor.mentions[j].kind == "number":
        return j
    k = i + 1
    if k < len(cursor.mentions) and cursor.mentions[k].low == "to":
        k2 = cursor.next_index(k, skip=("stop",))
        if k2 is not None and cursor.mentions[k2].kind == "number":
            return k2
    return None


def _number_subject(
    state: PlanState,
    i: int,
    op_index: int | None,
    concept: str | None,
    after: int | None,
    number: float,
    explicit: bool,
    inner_subject: int | None,
) -> tuple[Expr, bool] | None:
    cursor = state.cursor
    inner = cursor.at(inner_subject)
    if inner is not None and inner.kind == "column" and not inner.used:
        inner.used = True
        compared = first_numeric_column(inner)
        if (following := _unit_after(state, i)) is not None:
            _take_unit(state, following, compared, number)  # "temp_max above 30 degrees"
        return Expr(compared), False
    start = op_index if op_index is not None else i
    unit = _unit_after(state, i) if concept is None else None  # "hotter than 90 degrees" names its column
    measured = cursor.at(cursor.next_index(i + 1)) if unit is not None else None
    if (
        unit is not None
        and measured is not None
        and measured.kind == "column"
        and not measured.used
        and cursor.mentions[i + 2].low == "of"
        and any(c.numeric_measure for c in measured.columns)
    ):
        # "more than 10 grams of sugar": the column named after the unit
        measured.used = True
        named = next(c for c in measured.columns if c.numeric_measure)
        _take_unit(state, unit, named, number, amount_of=True)
        return Expr(named), False
    if unit is not None:
        # "life expectancy above 80 years": the number belongs to the number column said before, not
        # to `year` ("players with more than 20 points" keeps `points`: a player is no number). A
        # unit that names no column stays unplaced, so the question is refused unless the semantic
        # layer gives the column that unit (80 months is not 80 years).
        was_used = [mention.used for mention in cursor.mentions]
        subject = _column_before(state, start, allow_gap=explicit)
        column = subject[0].column if subject is not None else None
        if subject is not None and column is not None and column.numeric:
            if unit.kind == "column":
                unit.used = True
                reading = f"I read '{unit.text}' as the unit of {column.name}, not the {unit.column.name} column."
                state.plan.notes.append(reading)
            else:
                _take_unit(state, unit, column, number)
            return subject
        for mention, used in zip(cursor.mentions, was_used, strict=True):
            mention.used = used
    after_mention = cursor.at(after)
    # "more than one employee": a count of rows per group
    if after_mention is not None and after_mention.kind == "table" and explicit:
        after_mention.used = True
        return COUNT_ROWS, True
    if (
        after_mention is not None
        and after_mention.kind == "column"
        and after_mention.also_table
        and explicit
        and not after_mention.column.numeric
    ):
        after_mention.used = True
        return COUNT_ROWS, True
    # "more than 4 cylinders", "8 cylinders"
    if after_mention is not None and after_mention.kind == "column" and not after_mention.used:
        numeric = [c for c in after_mention.columns if c.numeric]
        if numeric:
            after_mention.used = True
            return Expr(numeric[0]), False
        if explicit and _can_count_past(after_mention.column):
            after_mention.used = True
            return Expr(after_mention.column, "count", distinct=True), True
    if concept is not None and concept != "time" and (found := _concept_subject(state, i, concept)) is not None:
        return found  # "days hotter than 90": the temperature, not the day column said before
    # "age above 20", "grade 10", "average life expectancy longer than 72"
    subject = _column_before(state, start, allow_gap=explicit)
    if subject is not None:
        return subject
    if concept is not None and (found := _concept_subject(state, i, concept)) is not None:
        return found
    if looks_like_year(number) and (concept == "time" or _year_preposition(state, i)):
        columns = state.schema.concept_columns("time")
        if columns:
            return Expr(prefer_mentioned(state, columns)), False
    return None


def _can_count_past(column: ColumnRef) -> bool:
    """`continents with more than 3 countries` counts a column's distinct values per group; a yes/no
    column (`passengers over 60 survived`) has two values, so that reading is a misreading."""
    return column.boolean_values is None


def _concept_subject(state: PlanState, i: int, concept: str) -> tuple[Expr, bool] | None:
    """The column a comparison word means (`hotter than` -> the temperature), with the number's unit."""
    columns = state.schema.concept_columns(concept)
    if not columns:
        return None
    column = prefer_mentioned(state, columns)
    following = state.cursor.at(i + 1)
    if following is not None and following.kind == "unknown" and not following.used:
        _take_unit(state, following, column)  # "hotter than 90 degrees"
    return Expr(column), False


def _take_unit(
    state: PlanState, unit: Mention, column: ColumnRef, number: float | None = None, *, amount_of: bool = False
) -> None:
    """A unit word no column has (`12 mph`) is the compared number's own when the column's name
    spells that unit, or, for a unit that is no calendar span, when the number lies within the
    column's values (`sleep less than 4 hours` over sleep_total 1.9..19.9). Weights and money need
    more: the amount said as an amount of the column (`10 grams of sugar`). Otherwise the unit stays
    unplaced and the question is refused: 80 months is not 80 years, 10 million is not 10,000,
    3 kilograms is no `wt` in 1000 lb."""
    if unit.kind != "unknown":
        return
    fits = unit_fits_column(unit.low, column.word_set)
    plausible = unit.low not in _CALENDAR_UNITS and (amount_of or unit.low not in _SCALED_UNITS)
    if not fits and number is not None and plausible:
        low, high = column.info.min, column.info.max
        in_range = isinstance(low, int | float) and isinstance(high, int | float) and low <= number <= high
        fits = in_range and unit_fits_column(unit.low, column.word_set, by_name_only=False)
    if fits:
        unit.used = True
        state.plan.notes.append(f"I read '{unit.text}' as the unit of {column.name}.")


def _unit_after(state: PlanState, i: int) -> Mention | None:
    """The unit word right after the number at i (`80 years`, `12 mph`), if any."""
    following = state.cursor.at(i + 1)
    if following is None or following.used or following.kind == "kw" or following.low not in _NUMBER_UNITS:
        return None
    return following


def _column_before(state: PlanState, start: int, *, allow_gap: bool) -> tuple[Expr, bool] | None:
    cursor = state.cursor
    k = start - 1
    gap = 0
    while k >= 0 and gap <= (3 if allow_gap else 1):
        mention = cursor.mentions[k]
        if mention.kind in ("stop", "punct", "filler") or (mention.kind == "kw" and mention.has("neg")):
            if mention.kind == "punct" and mention.low == ",":
                return None
            if not allow_gap and mention.kind == "stop" and mention.low not in _EQUALITY_LINKS:
                return None  # "per continent in 2007": the year is not a continent
            k -= 1
            continue
        if mention.kind == "column" and not mention.used:
            numeric = [c for c in mention.columns if c.numeric or c.temporal] or mention.columns
            agg_index = cursor.previous_index(k)
            mention.used = True
            if cursor.is_keyword(agg_index, "agg") and not cursor.mentions[agg_index].used:
                cursor.mentions[agg_index].used = True
                return Expr(numeric[0], cursor.mentions[agg_index].payload("agg")), True
            return Expr(numeric[0]), False
        if mention.kind == "column" and mention.used:
            return None
        if mention.kind == "kw" and (mention.has("count") and not mention.used):
            mention.used = True
            return COUNT_ROWS, True
        gap += 1
        k -= 1
        if mention.kind in ("table", "value", "number", "kw"):
            if mention.kind == "value" and allow_gap:
                return _aggregate_before(state, k)  # "the average life expectancy in Europe above 70"
            if mention.kind != "kw":
                return None
    return None


def _aggregate_before(state: PlanState, k: int) -> tuple[Expr, bool] | None:
    """An aggregated column said before the filters: the comparison tests the aggregate."""
    cursor = state.cursor
    while k >= 0 and cursor.mentions[k].kind in ("stop", "value", "punct"):
        k -= 1
    mention = cursor.at(k)
    agg_index = cursor.previous_index(k) if k >= 0 else None
    if (
        mention is None
        or mention.kind != "column"
        or mention.used
        or not cursor.is_keyword(agg_index, "agg")
        or cursor.mentions[agg_index].used
    ):
        return None
    mention.used = cursor.mentions[agg_index].used = True
    return Expr(first_numeric_column(mention), cursor.mentions[agg_index].payload("agg")), True


def _year_preposition(state: PlanState, i: int) -> bool:
    cursor = state.cursor
    if i == 0:
        return True
    if cursor.mentions[i].has("decade") and i > 1 and cursor.mentions[i - 1].low == "the":
        i -= 1  # "in the 1970s"
    before = cursor.mentions[i - 1]
    if before.kind == "value" and any(isinstance(value, MonthOfYear) for _, value in before.values):
        return True  # "in December 2014": the month's year
    return (
        cursor.mentions[i - 1].low in _YEAR_PREPOSITIONS
        or cursor.is_keyword(i - 1, "or", "and")
        or cursor.mentions[i - 1].kind == "punct"
    )


def answer_units(state: PlanState) -> None:
    """`average weight in pounds`, `longest median duration in weeks`: the unit the answer is asked
    in, harmless when a shown column holds numbers in it; any other unit stays unplaced (nothing
    here converts kilograms to pounds)."""
    cursor = state.cursor
    shown = [expr.column for expr in state.plan.select if expr.column is not None and expr.column.numeric]
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "unknown" or i == 0 or cursor.mentions[i - 1].low != "in":
            continue
        fitting = [column for column in shown if unit_fits_column(mention.low, column.word_set)]
        if fitting:
            mention.used = True
            state.plan.notes.append(f"I read 'in {mention.text}' as the unit {fitting[0].name} is in.")
