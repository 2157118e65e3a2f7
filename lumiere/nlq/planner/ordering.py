"""Passes that read how many rows to keep and in which order: `top 5`, `sorted by age descending`,
`from the lowest to the highest`, `rank the countries by GDP`, `most populous first`."""

from __future__ import annotations

from lumiere.nlq.plan import COUNT_ROWS, ORDER_BY_SHOWN, ORDER_BY_SHOWN_MEASURE, Expr
from lumiere.nlq.planner.shared import first_numeric_column, is_comparison_after, looks_like_year, prefer_mentioned
from lumiere.nlq.planner.state import PlanState

_PLACE_WORDS = frozenset(("in", "on", "at", "during", "since", "from", "of", "for", "by", "after", "before"))


def limits(state: PlanState) -> None:
    """`top 5`, `the 3 largest`, `which 3 countries had the lowest`: how many rows to keep."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if (
            mention.kind != "number"
            or mention.used
            or mention.number is None
            or mention.number != int(mention.number)
            or mention.number < 1
        ):
            continue
        before, after = cursor.previous_index(i), cursor.next_index(i)
        if (
            before is not None
            and looks_like_year(mention.number)
            and any(m.low in _PLACE_WORDS for m in cursor.mentions[before + 1 : i])
        ):
            continue  # "released first in 2010": a year, not how many
        if cursor.is_keyword(before, "top", "bottom") and not cursor.mentions[before].used:
            keyword = cursor.mentions[before]
            state.pending_limit = int(mention.number)
            state.pending_descending = not (
                keyword.has("bottom") and not keyword.has("top")
            )  # "top 5" means descending
            keyword.used = mention.used = True
        elif cursor.is_keyword(after, "sup", "supcol", "common") and not is_comparison_after(state, after):
            state.pending_limit = int(mention.number)
            mention.used = True
        elif _counted_subject(state, i, after):
            # "which 3 countries had the lowest ...": how many rows the superlative keeps
            state.pending_limit = int(mention.number)
            mention.used = True


def _counted_subject(state: PlanState, i: int, after: int | None) -> bool:
    cursor = state.cursor
    subject = cursor.at(after)
    if after is None or subject is None or subject.kind not in ("table", "column") or i == 0:
        return False
    if cursor.mentions[i - 1].low not in ("which", "what", "the", "top", "first", "show", "list", "give", "find"):
        return False
    return any(
        x.kind == "kw" and (x.has("sup") or x.has("supcol") or x.has("common")) for x in cursor.mentions[after + 1 :]
    )


def order_phrases(state: PlanState) -> None:
    """Every way people ask for an order: `sort X by Y`, `ordered by Y descending`, `in
    descending order of Y`, `by descending Y`, `from the lowest to the highest Y`, `rank X by Y`,
    or a bare `in descending order` that sorts what the answer shows."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if (
            mention.used
            or mention.kind != "kw"
            or not (mention.has("order") or mention.has("dir") or mention.has("alpha"))
        ):
            continue
        if mention.columns and cursor.is_keyword(cursor.previous_index(i), "group"):
            continue  # "in each order": the column called `order`, grouped by
        after = cursor.next_index(i, skip=("stop", "punct", "filler", "table"))
        if (
            mention.has("dir")
            and not mention.has("order")
            and cursor.is_keyword(after, "order")
            and not cursor.mentions[after].used
        ):
            continue  # "in descending order by age": the order phrase that follows reads both
        mention.used = True
        target, at = _order_target(state, i)
        descending = _direction_near(state, i if at is None else min(i, at))
        if descending is None and (mention.has("dir") or mention.has("alpha")):
            descending = (mention.payload("dir") or mention.payload("alpha")) == "desc"
        if descending is None:
            descending = mention.payload("order") == "desc"  # "rank by" puts the highest first
        if target is None:
            target = (
                ORDER_BY_SHOWN
                if mention.has("alpha")
                or (mention.has("order") and not mention.has("dir") and not _sorts_by_size(state, i))
                else ORDER_BY_SHOWN_MEASURE
            )
        state.plan.order.append((target, descending))
    _order_from_to(state)
    _rank_verb(state)


_SIZE_WORDS = frozenset("high highest low lowest most least large largest small smallest big biggest".split())


def chronological_order(state: PlanState) -> None:
    """`in chronological order`, `reverse chronologically`: sorted by the table's time (a date, or a
    year column); with no time in the table the words stay unread and the question is refused."""
    for mention in state.cursor.mentions:
        if mention.used or mention.kind != "kw" or not mention.has("chrono"):
            continue
        # a day or month said in words ("Thur") would sort by its spelling, not by time
        columns = [c for c in state.schema.concept_columns("time") if c.temporal or c.numeric]
        if columns:
            mention.used = True
            state.plan.order.append((Expr(prefer_mentioned(state, columns)), mention.payload("chrono") == "desc"))


def _sorts_by_size(state: PlanState, i: int) -> bool:
    """`sorted from highest to lowest` sorts by an amount (the measure shown), not by a name."""
    cursor = state.cursor
    return any(
        m.kind == "kw" and m.has("dir") and _SIZE_WORDS & set(m.low.split())
        for m in cursor.mentions[i + 1 : i + 4]
    )


def sort_only_superlatives(state: PlanState) -> None:
    """`most populous first`, `with the highest score first`: sort, do not keep only the top row."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if (
            mention.used
            or mention.kind != "kw"
            or mention.low not in ("first", "last")
            or not (mention.has("top") or mention.has("bottom"))
        ):
            continue
        before = cursor.previous_index(i, skip=("stop", "column", "table"))
        if (
            cursor.is_keyword(before, "sup", "supcol")
            and not cursor.mentions[before].used
            and cursor.next_index(i) is None
        ):
            mention.used = True
            state.ordering_only = True
            if mention.low == "last":
                _reverse_superlative(state, before)


def _reverse_superlative(state: PlanState, i: int) -> None:
    """`highest last` lists the lowest first."""
    cursor = state.cursor
    mention = cursor.mentions[i]
    flipped = {"asc": "desc", "desc": "asc"}
    mention.tags = [
        (
            tag,
            flipped.get(payload, payload)
            if tag == "sup"
            else (flipped[payload[0]], payload[1])
            if tag == "supcol"
            else payload,
        )
        for tag, payload in mention.tags
    ]


def _rank_verb(state: PlanState) -> None:
    """`Rank the countries by GDP`: an order verb that puts the highest first."""
    cursor = state.cursor
    first = cursor.at(0)
    if first is not None and first.low in ("rank", "ranked") and first.kind in ("unknown", "column") and not first.used:
        by = _by_after(state, 0)
        key = _sort_key_at(state, by)
        if key is not None and by is not None:  # a sort key was found, so `by` points at it
            first.used = True
            descending = _direction_near(state, by)
            state.plan.order.append((key, True if descending is None else descending))


def _order_target(state: PlanState, i: int) -> tuple[Expr | None, int | None]:
    """What an order word sorts by, and where that is said."""
    cursor = state.cursor
    mention = cursor.mentions[i]
    j = cursor.next_index(i, skip=("stop", "punct", "filler", "table"))
    if cursor.is_keyword(j, "dir", "alpha") and not cursor.mentions[j].used:
        j = cursor.next_index(j, skip=("stop", "punct", "filler", "table"))  # "ordered descending by age"
    if cursor.is_index(j) and cursor.mentions[j].low == "by":
        j = cursor.next_index(j, skip=("stop", "punct", "filler", "table"))
    said_by = mention.low.endswith((" by", " of")) or _word_before_is(state, j, ("by", "of"))
    if mention.has("order") and not said_by:
        by = _by_after(state, i)
        if by is not None:  # "sort employee names by their age": names are shown, age sorts
            return _sort_key_at(state, by), by
    if mention.has("order") or said_by:
        key = _sort_key_at(state, j)
        return key, j if key is not None else None
    return None, None


def _word_before_is(state: PlanState, j: int | None, words: tuple[str, ...]) -> bool:
    cursor = state.cursor
    if j is None or j == 0:
        return False
    k = j - 1
    while k > 0 and cursor.mentions[k].kind == "stop" and cursor.mentions[k].low not in words:
        k -= 1
    return cursor.mentions[k].low in words


def _by_after(state: PlanState, i: int) -> int | None:
    """The mention after the `by` that follows an order verb, within the same clause."""
    cursor = state.cursor
    for k in range(i + 1, min(len(cursor.mentions), i + 8)):
        mention = cursor.mentions[k]
        if mention.kind == "punct" or (mention.kind == "kw" and (mention.has("order") or mention.has("cmp"))):
            return None
        if mention.low == "by" and mention.kind == "stop":
            return cursor.next_index(k, skip=("stop", "punct", "filler"))
    return None


def _sort_key_at(state: PlanState, j: int | None) -> Expr | None:
    cursor = state.cursor
    mention = cursor.at(j)
    if mention is None or mention.used:
        return None
    if mention.kind == "column":
        mention.used = True
        return Expr(mention.column)
    if mention.kind == "kw" and mention.has("agg"):
        k = cursor.next_index(j, skip=("stop", "punct", "filler"))
        target = cursor.at(k)
        if target is not None and target.kind == "column" and not target.used:
            mention.used = target.used = True
            return Expr(first_numeric_column(target), mention.payload("agg"))
        if mention.columns:
            mention.used = True
            return Expr(mention.columns[0])
    if mention.kind == "kw" and mention.has("count"):
        mention.used = True
        k = cursor.next_index(j, skip=("stop", "punct", "filler"))
        counted = cursor.at(k)
        if counted is not None and counted.kind == "column" and not counted.used and counted.column.numeric_measure:
            counted.used = True  # "by the number of years worked": the column holds that number
            return Expr(counted.column)
        if counted is not None and counted.kind == "table":
            counted.used = True
        state.count_requested = True
        return COUNT_ROWS
    return None


def _order_from_to(state: PlanState) -> None:
    """`from the lowest to the highest life expectancy`, `from most to least populous`."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or not cursor.is_keyword(i, "between") or mention.low != "from":
            continue
        first = cursor.next_index(i, skip=("stop",))
        if not cursor.is_keyword(first, "sup", "supcol") or cursor.mentions[first].used:
            continue
        to = cursor.next_index(first, skip=())
        if to is None or cursor.mentions[to].low != "to":
            continue
        last = cursor.next_index(to, skip=("stop",))
        if not cursor.is_keyword(last, "sup", "supcol") or cursor.mentions[last].used:
            continue
        start = cursor.mentions[first]
        concept_payload = start.payload("supcol")
        direction = concept_payload[0] if concept_payload else start.payload("sup")
        mention.used = start.used = cursor.mentions[to].used = cursor.mentions[last].used = True
        key = _sort_key_at(state, cursor.next_index(last, skip=("stop", "punct", "filler")))
        if key is None and concept_payload:
            columns = state.schema.concept_columns(concept_payload[1])
            key = Expr(prefer_mentioned(state, columns)) if columns else None
        state.plan.order.append((key or ORDER_BY_SHOWN_MEASURE, direction == "desc"))


def _direction_near(state: PlanState, i: int) -> bool | None:
    """Ascending/descending said around position i (`from the oldest to the youngest`)."""
    cursor = state.cursor
    for k in range(max(0, i - 3), min(len(cursor.mentions), i + 8)):
        mention = cursor.mentions[k]
        if mention.kind != "kw" or mention.used:
            continue
        if mention.has("dir") or mention.has("alpha"):
            mention.used = True
            return (mention.payload("dir") or mention.payload("alpha")) == "desc"
        if mention.has("between") and k > i:
            first = cursor.next_index(k, skip=("stop",))
            if cursor.is_keyword(first, "supcol", "sup"):
                end = cursor.next_index(first, skip=("stop",))
                mention.used = cursor.mentions[first].used = True
                if cursor.is_keyword(end, "supcol", "sup"):
                    cursor.mentions[end].used = True
                payload = cursor.mentions[first].payload("supcol") or (cursor.mentions[first].payload("sup"), None)
                return payload[0] == "desc"
    return None
