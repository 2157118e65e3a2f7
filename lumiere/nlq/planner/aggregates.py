"""Passes that read counts, aggregates and shares: `how many`, `the average and maximum tip`,
`the share of smokers`."""

from __future__ import annotations

import re

import lemminflect

from lumiere.nlq.lexicon import COUNT_UNITS, word_forms
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Cond, Correlation, Expr, Unplaced
from lumiere.nlq.planner.shared import ON_AVERAGE, additive_aggregate, first_numeric_column, is_comparison_after
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.row_nouns import is_noun
from lumiere.nlq.schema import ColumnRef, split_identifier
from lumiere.nlq.semantic_words import UNIT_WORDS

# "how many points did she score": a count asked of someone, not rows counted
_ASKED_OF = frozenset("did do does will would can could".split())
# `Viewers (in millions)`: a column of counts stored at a scale
_SCALE_WORDS = frozenset("thousand thousands million millions mn billion billions bn 000 000s".split())
# "how much did men tip in total": a total said apart from its column
_IN_TOTAL = frozenset(("in total", "altogether"))
# "the world population": the whole of a measure, over every row
_WHOLE_WORLD = frozenset(("world", "global", "worldwide"))


def world_totals(state: PlanState) -> None:
    """`the world population in 2007`: the whole of a measure that adds up (a population, sales) is
    its total over the rows. A rate or an average (`world life expectancy`) is no plain average of
    the rows (each row would weigh the same), so it is refused with the reading that works."""
    cursor = state.cursor
    if any(m.kind == "kw" and m.has("share") for m in cursor.mentions):
        return  # "what share of the world population lived in Asia": the whole a share is taken of
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind not in ("filler", "unknown") or mention.low not in _WHOLE_WORLD:
            continue
        j = cursor.next_index(i, skip=("stop",))
        target = cursor.at(j)
        if target is None or target.kind != "column" or target.used or not target.column.numeric_measure:
            continue
        column = target.column
        if additive_aggregate(column) != "sum":
            raise Unplaced(
                [f"{mention.text} {target.text}"],
                f"The {mention.text} {target.text} is not the plain average of the rows, where each row weighs "
                f"the same. Ask for the 'average {column.name}' if that is what you need.",
            )
        mention.used = target.used = True
        state.plan.add_select(Expr(column, "sum"))


def trailing_aggregates(state: PlanState) -> None:
    """`how old were the victims on average`, `how much did men tip in total`: `on average` or `in
    total` after the one number column the question names (or `in total` opening the question)
    is that column's average or total."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or mention.low not in ON_AVERAGE | _IN_TOTAL:
            continue
        named = [m for m in cursor.mentions[:i] if m.kind == "column"]
        if i == 0 and mention.low in _IN_TOTAL:  # "in total, how much did men tip"
            named = [m for m in cursor.mentions if m.kind == "column"]
        ranked_or_summed = any(
            m is not mention and m.kind == "kw" and (m.has("agg") or m.has("sup") or m.has("supcol") or m.has("count"))
            for m in cursor.mentions
        )  # "which dose gives the longest teeth on average" ranks doses: not the average dose; "how many
        # stages are there in total" counts them
        if not named and not ranked_or_summed and mention.low in _IN_TOTAL:
            # "how much did women pay in total": a total of a number the question does not name
            measures = [c.name for c in state.schema.columns if c.numeric_measure]
            example = f", for example 'the total {measures[0]}'" if measures else ""
            raise Unplaced([mention.text], f"I could not tell which number to add up {mention.text}. "
                                           f"Name its column{example}.")
        if len(named) != 1 or named[0].used or ranked_or_summed or _after_question_word(cursor.mentions, named[0]):
            return
        column = first_numeric_column(named[0])
        if not column.numeric:
            return
        mention.used = named[0].used = True
        state.plan.add_select(Expr(column, "sum" if mention.low in _IN_TOTAL else "avg"))
        return


def _after_question_word(mentions: list[Mention], mention: Mention) -> bool:
    index = mentions.index(mention)
    return index > 0 and mentions[index - 1].low in ("which", "what")


def counts_and_aggregates(state: PlanState) -> None:
    """`how many`, `the average and maximum tip`: counts and aggregates of the shown columns."""
    cursor = state.cursor
    i = 0
    while i < len(cursor.mentions):
        mention = cursor.mentions[i]
        if mention.used or mention.kind != "kw":
            i += 1
            continue
        if mention.has("agg") and not (mention.has("sup") and is_comparison_after(state, i)):
            i = _aggregate_list(state, i)
            continue
        if mention.has("count"):
            _count(state, i)
        i += 1


def _aggregate_list(state: PlanState, i: int) -> int:
    cursor = state.cursor
    aggs = [i]
    j = i
    while True:
        k = cursor.next_index(j, skip=("stop", "punct"))
        if k is not None and cursor.is_keyword(k, "and", "or"):
            k2 = cursor.next_index(k, skip=("stop", "punct"))
            if cursor.is_keyword(k2, "agg") and not cursor.mentions[k2].used:
                aggs.append(k2)
                cursor.mentions[k].used = True
                j = k2
                continue
        if (
            k is not None
            and cursor.mentions[k - 1].kind == "punct"
            and cursor.is_keyword(k, "agg")
            and not cursor.mentions[k].used
        ):
            aggs.append(k)
            j = k
            continue
        break
    target_index = cursor.next_index(j, skip=("stop", "punct", "filler"))
    target = cursor.at(target_index)
    if target is not None and target.kind == "kw" and target.has("count") and not target.used and not target.columns:
        # "average number of staff": the column holding that number
        following = cursor.at(cursor.next_index(target_index, skip=("punct", "filler")))
        if following is not None and following.kind == "column" and not following.used:
            target.used = True
            target = following
            target_index = cursor.mentions.index(following)
    if (
        target is not None
        and target.kind == "kw"
        and (target.has("share") or target.has("count"))
        and target.columns
        and not target.used
    ):
        target.used = True
        for a in aggs:
            cursor.mentions[a].used = True
            state.plan.add_select(Expr(target.columns[0], cursor.mentions[a].payload("agg")))
        return (target_index or j) + 1
    if target is not None and target.kind == "column" and not target.used:
        target.used = True
        column = first_numeric_column(target)
        for a in aggs:
            cursor.mentions[a].used = True
            state.plan.add_select(Expr(column, cursor.mentions[a].payload("agg")))
        return (target_index or j) + 1
    # an aggregate word that is itself a column name ("the average" column)
    for a in aggs:
        if cursor.mentions[a].columns:
            cursor.mentions[a].used = True
            state.plan.add_select(Expr(cursor.mentions[a].columns[0]))
    return j + 1


_LINKING_VERBS = frozenset(("is", "was", "are", "were"))


def _of_the_row_picked(state: PlanState, target: Mention) -> bool:
    """`how many carats is the most expensive diamond`: the number of the one row a superlative
    picks, not a total."""
    mentions = state.cursor.mentions
    k = mentions.index(target) + 1
    if k >= len(mentions) or mentions[k].low not in _LINKING_VERBS:
        return False
    k += 1
    while k < len(mentions) and mentions[k].low in ("the", "a", "an"):
        k += 1
    picker = mentions[k] if k < len(mentions) else None
    return (
        picker is not None
        and picker.kind == "kw"
        and (picker.has("sup") or picker.has("supcol"))
        and not (picker.has("top") or picker.has("bottom"))  # "the first rider" may be the first listed
    )


_AUXILIARIES = frozenset("is are was were has have had did do does got".split())


def _count(state: PlanState, i: int) -> None:
    cursor = state.cursor
    mention = cursor.mentions[i]
    j = cursor.next_index(i, skip=("stop", "punct", "filler"))
    if cursor.is_keyword(j, "agg") and cursor.mentions[j].payload("agg") == "sum" and not cursor.mentions[j].used:
        cursor.mentions[j].used = True  # "how many total robots": `total` restates the count
        j = cursor.next_index(j, skip=("stop", "punct", "filler"))
    counts_a_value = False
    while cursor.is_index(j) and cursor.mentions[j].kind == "value" and cursor.mentions[j].used:
        counts_a_value = True
        j = cursor.next_index(j, skip=("stop", "punct", "filler"))  # "how many Asian countries": the noun is counted
    if counts_a_value and cursor.is_index(j) and cursor.mentions[j - 1].low in _AUXILIARIES:
        # "how many WR were picked": the rows with that value, not the Pick column added up
        predicate = cursor.mentions[j]
        if predicate.kind == "column" and _only_a_verb(predicate.low):
            predicate.used = True
        state.count_requested = True
        mention.used = True
        return
    if cursor.is_index(j) and j > 0 and cursor.mentions[j - 1].low in ("by", "per"):
        state.count_requested = True  # "number of deaths by race": rows counted, grouped by race
        return
    distinct = False
    if cursor.is_keyword(j, "distinct"):
        cursor.mentions[j].used = True
        distinct = True
        j = cursor.next_index(j, skip=("stop", "punct", "filler"))
    target = cursor.at(j)
    mention.used = True
    if (
        target is not None
        and target.kind == "column"
        and not target.used
        and not distinct
        and not state.plan.group
        and (_rows_are(state, target.column) or target.column.numbers_the_rows or target.column.coordinate)
    ):
        # "on how many days was ozone missing", "how many games" over a game number 1..n, "how many
        # locations" over a latitude: each row is one, so the rows are counted
        target.used = True
        state.count_requested = True
        return
    if target is not None and target.kind == "column" and not target.used and not target.also_table and not distinct:
        column = target.column
        if column.numeric_measure and not column.yearish and column.boolean_values is None:
            target.used = True
            following = cursor.at(None if j is None else j + 1)
            if not state.plan.group and (
                _only_its_modifier_said(target, column) or _things_counted_not_amounts(target, following, column)
            ):
                state.count_requested = True  # "how many hospitals have …" over `Hospital beds`
                return
            if _of_the_row_picked(state, target):
                state.plan.add_select(Expr(column))  # "how many carats is the most expensive diamond"
            else:
                state.plan.add_select(Expr(column, "sum"))  # "how many points": the numbers add up
            return
    tally = _tally_column(state) if target is not None and target.kind == "column" and not distinct else None
    if target is not None and tally is not None and target.column.text and target.low.split()[-1] in COUNT_UNITS:
        # "how many medals did China win" over rows of (nation, medal, count): the counts add up
        target.used = True
        state.plan.add_select(Expr(tally, "sum"))
        return
    if target is not None and target.kind == "column" and not target.used and not target.also_table:
        columns: list[Mention] = [target]
        k = j
        while True:
            a = cursor.next_index(k, skip=("stop", "punct"))
            b = cursor.next_index(a, skip=("stop", "punct")) if a is not None else None
            if (
                a is not None
                and cursor.is_keyword(a, "and")
                and cursor.is_index(b)
                and cursor.mentions[b].kind == "column"
                and not cursor.mentions[b].used
                and distinct
            ):
                columns.append(cursor.mentions[b])
                cursor.mentions[a].used = True
                k = b
                continue
            break
        for column_mention in columns:
            column_mention.used = True
            state.plan.add_select(Expr(column_mention.column, "count", distinct=True))
        _tallied_predicate(state, k)
        return
    if target is not None and target.kind in ("table", "column") and not target.used:
        target.used = True
        state.rows_counted = state.rows_counted or target.row_noun
    state.count_requested = True


def correlations(state: PlanState) -> None:
    """`the correlation between sepal length and petal length`, `how correlated are tip and total
    bill`: Pearson's r of the two number columns said; with fewer or more than two the word is
    left for the refusal to name."""
    cursor = state.cursor
    said = next((m for m in cursor.mentions if m.kind == "kw" and m.has("corr") and not m.used), None)
    if said is None:
        return
    columns = [m for m in cursor.mentions if m.kind == "column" and not m.used and m.column.numeric_measure]
    if len(columns) != 2 or columns[0].column is columns[1].column:
        return
    first, second = columns
    said.used = first.used = second.used = True
    for k in range(cursor.mentions.index(first), cursor.mentions.index(second)):
        if cursor.is_keyword(k, "and", "between", "vs") and not cursor.mentions[k].used:
            cursor.mentions[k].used = True  # "between A and B", "A vs B"
    state.plan.correlation = Correlation(first.column, second.column)


def shares(state: PlanState) -> None:
    """`the share of smokers`, `percentage of the total bill per day`: a share of the total."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not mention.has("share"):
            continue
        if mention.columns and _share_is_column(state, i):
            continue
        _check_share_of_a_measure(state, i)
        mention.used = True
        state.plan.share = True
        following = cursor.at(cursor.next_index(i, skip=("stop", "punct", "filler")))
        if (
            following is not None
            and following.kind == "column"
            and not following.used
            and following.column.numeric_measure
        ):
            following.used = True
            state.plan.share_measure = following.column
        elif following is not None and following.kind == "table":
            following.used = True


def _check_share_of_a_measure(state: PlanState, i: int) -> None:
    """`the highest average tip percentage`: the percentage qualifies a measure already averaged or
    ranked (a ratio of it to something unsaid), not a share of the rows; refused with the wording
    that works, rather than answered with each day's share of the rows."""
    cursor = state.cursor
    at = cursor.previous_index(i)
    measure = cursor.at(at)
    if at is None or measure is None or measure.kind != "column" or not measure.used or not measure.column.numeric:
        return
    before = cursor.at(cursor.previous_index(at))
    if before is not None and before.kind == "kw" and (before.has("agg") or before.has("sup")):
        said = cursor.mentions[i].text
        raise Unplaced(
            [f"{measure.text} {said}"],
            f"I could not tell what '{measure.text} {said}' is a {said} of. Say it with both columns, for "
            f"example '{measure.column.name} as a percentage of <another column>'.",
        )


def _share_is_column(state: PlanState, i: int) -> bool:
    cursor = state.cursor
    before = cursor.at(cursor.previous_index(i))
    return before is not None and (before.kind == "kw" and (before.has("agg") or before.has("sup")))


_TALLY_NAMES = frozenset(("count", "counts", "n", "frequency", "freq", "quantity", "qty", "tally"))


def _tally_column(state: PlanState) -> ColumnRef | None:
    """The one number column that holds how many each row stands for (`count`, `n`, `frequency`):
    a table of (nation, medal, count) rows, as a pivot table exports it."""
    found = [c for c in state.schema.columns
             if c.numeric and not c.is_id and len(c.words) == 1 and c.words[0].word in _TALLY_NAMES]
    return found[0] if len(found) == 1 else None


def _tallied_predicate(state: PlanState, j: int | None) -> None:
    """`how many nations won medals` over (nation, medal, count) rows: `won medals` says which
    nations are counted (those with a count above 0), it is no breakdown by the kind of medal."""
    cursor = state.cursor
    k = cursor.next_index(j, skip=("stop",))
    verb = cursor.at(k)
    said = cursor.at(cursor.next_index(k, skip=("stop",))) if k is not None else None
    tally = _tally_column(state)
    if (
        tally is None
        or verb is None
        or verb.kind not in ("filler", "unknown")
        or said is None
        or said.kind != "column"
        or said.used
        or not said.column.text
        or said.low.split()[-1] not in COUNT_UNITS
    ):
        return
    verb.used = said.used = True
    state.plan.where.append([Cond(Expr(tally), ">", [0])])


def _only_its_modifier_said(target: Mention, column: ColumnRef) -> bool:
    """`how many hospitals have …` over `Hospital beds`: the noun counted is the rows, not the beds
    the column adds up; a name's last word is what it measures, and only a word before it was said."""
    named = split_identifier(re.sub(r"\(.*?\)|\[.*?\]", " ", column.name))  # `Deaths (age <15)` measures deaths
    if len(named) < 2 or target.coverage >= 1.0:
        return False
    said = target.low.split()
    head = named[-1]
    return head not in {form for word in said for form in word_forms(word)} and all(map(is_noun, said))


def _things_counted_not_amounts(target: Mention, following: Mention | None, column: ColumnRef) -> bool:
    """`how many bills had a tip above 3` over `total_bill` (16.99, 10.34 …): amounts with cents
    are no number of things, so the bills counted are the rows. A unit (`how many hours`) is an
    amount, and so is a count asked of someone (`how many points did she score`, chess's 5.5)."""
    said = target.low.split()
    if not said or said[-1] in UNIT_WORDS or (following is not None and following.low in _ASKED_OF):
        return False
    if any(word in _SCALE_WORDS for word in split_identifier(column.name)):
        return False  # `Viewers (in millions)`: 12.5 is a number of viewers, in millions
    samples = [value for value in column.info.samples if isinstance(value, float)]
    return any(not value.is_integer() for value in samples)


def _only_a_verb(text: str) -> bool:
    """`picked`, `drafted`: a word that is a verb and never a noun."""
    lemmas = lemminflect.getAllLemmas(text)
    return " " not in text and "VERB" in lemmas and "NOUN" not in lemmas


_CALENDAR_GRAIN = ("hour", "day", "weekday", "week", "month", "quarter")
_CALENDAR_SIZE = {"hour": 24, "day": 31, "weekday": 7, "week": 53, "month": 12, "quarter": 4}


def _rows_are(state: PlanState, column: ColumnRef) -> bool:
    """Whether each row is one `column` (`Day` in a table of daily readings with `Month` and
    `Day`): it is the finest calendar column of the table, and the calendar columns together
    have no more combinations than there are rows. Then `how many days` counts rows."""
    if not column.calendar_part:
        return False
    parts = [c for c in state.schema.columns if c.calendar_part]
    finest = min(parts, key=lambda c: _CALENDAR_GRAIN.index(c.words[-1].word))
    if finest is not column:
        return False
    combinations = 1
    for part in parts:
        combinations *= _CALENDAR_SIZE[part.words[-1].word]
    for yearly in (c for c in state.schema.columns if c.yearish):
        combinations *= max(1, yearly.info.distinct_count or 1)
    return column.row_count <= combinations
