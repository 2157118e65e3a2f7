"""A chat follow-up read against the previous answer's plan (the built-in engine's side of issue 12).

The message is linked to the previous answer's table like any question; what each mention is
decides what changes in the previous plan: a value (or a condition the planner reads from the
message) replaces the condition on its column or adds one, a column after `by`/`per` changes the
groups, an aggregate word or a numeric column swaps the measure, `top 3`/`descending`/`show 20`
change order and size, a chart word changes only the chart, and `which day?` after an extreme asks
for the row behind it. The merged plan is rendered by the same renderer as a first question.

A message that names a measure on its own and carries no follow-up word ("instead", "what about",
"as well", ...) is a fresh question. Anything else that cannot be placed is asked back
(CLARIFY), never silently answered as a fresh question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lumiere.core.chat import FollowUp, FollowUpKind, PreviousTurn
from lumiere.core.engine import CannotAnswer, GeneratedSQL, QuestionContext, TableInfo, ValueMatch
from lumiere.core.enums import Engine
from lumiere.nlq.conversation import default_order, plan_from_reading, question_of, reading_of, same_order
from lumiere.nlq.linking import link
from lumiere.nlq.mention import Linked, Mention
from lumiere.nlq.plan import COUNT_ROWS, Cond, Expr, Plan, Unplaced
from lumiere.nlq.planner import plan_question
from lumiere.nlq.rendering import build_tree, chart_hint, describe
from lumiere.nlq.schema import ColumnRef, SchemaIndex

CHART_TYPES = {
    "line": "line",
    "lines": "line",
    "bar": "bar",
    "bars": "bar",
    "column": "bar",
    "pie": "pie",
    "donut": "pie",
    "scatter": "scatter",
    "area": "area",
    "histogram": "histogram",
    "table": "table",
}
_CHART = re.compile(
    r"\b(?:as|into|to|in|make it|show it as|use)?\s*(?:an?\s+)?"
    r"(line|lines|bar|bars|column|pie|donut|scatter|area|histogram)"
    r"(?:\s+(?:chart|graph|plot|diagram))?\b|\b(?:as|in)\s+an?\s+table\b",
    re.IGNORECASE,
)
_CHART_WORDS = re.compile(
    r"\b(chart|graph|plot|diagram|visuali[sz]e|draw|display|make|turn|change|switch|convert|show)\b", re.IGNORECASE
)
# Words that say the message continues the previous answer; they are dropped before linking,
# with the polite openings a fresh question has as well ("show me", "can you").
_CONTINUATION = re.compile(
    r"\b(instead|as well|too|also|what about|how about|what if|only|just|then|now|again|rather|anymore|"
    r"split (?:it|that|them|this)?|break (?:it|that|them)? ?down|same thing|the same|same|"
    r"it|them|that one|those|change (?:it|that)? ?to|switch (?:it )?to|make it)\b",
    re.IGNORECASE,
)
_POLITE = re.compile(r"\b(show me|show|give me|list|can you|could you|please)\b", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(and|but|ok|okay|so|now|then)\b", re.IGNORECASE)
_GROUP_BEFORE = re.compile(r"\b(by|per|each|every|across|for each|for every)\s+(the\s+)?$", re.IGNORECASE)
_SORT_BEFORE = re.compile(r"\b(sort(?:ed)?|order(?:ed)?)\s+(?:it\s+|them\s+)?(by\s+)?(the\s+)?$", re.IGNORECASE)
_ASK_WORDS = re.compile(r"^\s*(?:(?:on|in|at|for|from)\s+)?(which|what|who|when|where)\b", re.IGNORECASE)
_LIMIT_BEFORE = re.compile(
    r"\b(show|first|top|bottom|limit(?: it)?(?: to)?|only|just|keep|give me|last)\s+(the\s+)?$", re.IGNORECASE
)
_ADD_WORDS = re.compile(r"\b(as well|too|also|and also|in addition|plus)\b", re.IGNORECASE)
_SEPARATELY = re.compile(r"\b(separately|respectively|individually|each on its own|side by side)\b", re.IGNORECASE)
_REPLACE_WORDS = re.compile(r"\b(instead|rather)\b", re.IGNORECASE)
_AGGS = ("avg", "sum", "min", "max", "median", "stddev", "count")


@dataclass
class _Changes:
    filters: list[list[Cond]] = field(default_factory=list)
    measure: Expr | None = None
    measure_agg: str | None = None
    groups: list[Expr] = field(default_factory=list)
    add_groups: bool = False
    descending: bool | None = None
    order_by: Expr | None = None
    limit: int | None = None
    asked: ColumnRef | None = None  # "on which day?": the column of the row behind the answer
    flip: bool = False
    ambiguity: str = ""

    def any(self) -> bool:
        return bool(
            self.filters
            or self.measure
            or self.measure_agg
            or self.groups
            or self.descending is not None
            or self.order_by
            or self.limit is not None
            or self.asked
            or self.flip
        )


def read_follow_up(
    message: str,
    previous: PreviousTurn,
    context: QuestionContext,
    answer_fresh: Callable[[str], tuple[GeneratedSQL, dict[str, Any] | None]],
) -> FollowUp:
    """Reads `message` against `previous` (see the module docstring); `answer_fresh` answers a
    complete question the way a first question is answered."""
    text = " ".join(message.split())
    if not text:
        return _clarify("What would you like to change in the last answer?", previous)
    reading = previous.reading or {}
    table = next((t for t in context.tables if t.name == reading.get("table")), None)
    schema = SchemaIndex.build(table) if table is not None else None
    plan = plan_from_reading(reading, schema) if schema is not None else None
    chart = _chart_request(text)
    rest = _CHART.sub(" ", text)
    rest = _CHART_WORDS.sub(" ", rest)
    rest_words = [w for w in re.findall(r"[\w'-]+", _stripped(rest)) if w.lower() not in _FILLER]
    if chart is not None and not rest_words:
        return _chart_only(chart, previous)
    continuing = bool(_CONTINUATION.search(text) or _LEADING.match(text))
    if not continuing:
        fresh = _fresh(text, context, answer_fresh, refinable=plan is not None)
        if fresh is not None:
            return fresh
    if schema is None or plan is None:
        return _clarify(
            "I can only refine answers to simpler questions; ask the whole question, for example "
            f"'{previous.question} {_tail(text)}'.",
            previous,
        )
    find_values = _remembering(context.find_values)
    cleaned = _cleaned(rest)
    linked = link(cleaned, schema, find_values)
    changes = _read_changes(linked, cleaned, text, plan, lambda: link(cleaned, schema, find_values))
    if changes.ambiguity:
        return _clarify(changes.ambiguity, previous)
    unknown = [m.text for m in linked.mentions if m.kind == "unknown" and m.low not in _FOLLOW_UP_WORDS]
    if unknown and changes.any():
        # as for a first question, every word has to be placed: a half-read change is asked back
        words = ", ".join(f"'{w}'" for w in unknown[:3])
        return _clarify(
            f"I could not place {words} in '{previous.question}'. Say what to change with the names of "
            "columns or values, e.g. 'only for …', 'by …', 'the maximum instead'.",
            previous,
        )
    if not changes.any():
        fresh = _fresh(text, context, answer_fresh)
        if fresh is not None:
            return fresh
        return _clarify(
            f"I could not tell what to change in '{previous.question}'. Do you mean a filter (e.g. 'only for …'), "
            "another measure ('the maximum instead'), a grouping ('by …'), the order ('top 3'), or the chart "
            "('as a bar chart')?",
            previous,
        )
    refined = apply_changes(plan, changes, schema)
    if refined is None:
        return _clarify(
            f"I could not apply that to '{previous.question}'. Do you mean another measure (e.g. 'the maximum "
            "instead'), sorting by the measure ('sort it descending'), or a new question?",
            previous,
        )
    if context.dialect == "mysql" and any(e.agg == "median" for e in refined.select):
        return _clarify("MySQL has no median; do you mean the average instead?", previous)
    question = question_of(refined, schema.table.name)
    tree = build_tree(refined, schema, context.dialect)
    hint = chart_hint(refined)
    if chart is not None:
        hint = {**(hint or {}), "type": chart}
    generated = GeneratedSQL(
        sql=tree.sql(dialect=context.dialect),
        engine=Engine.BUILTIN,
        explanation=describe(refined, schema),
        notes=[f"Read as a follow-up to '{previous.question}'."],
        chart_hint=hint,
    )
    return FollowUp(
        kind=FollowUpKind.REFINED,
        standalone_question=question,
        generated=generated,
        chart=hint if chart is not None else None,
        reading=reading_of(refined, schema, question),
    )


# Verbs a follow-up uses around a change ("restrict to dinner", "let's see the average"): no meaning of their own.
_FOLLOW_UP_WORDS = frozenset(
    "let's lets let see restrict restricted limit limited keep separately respectively individually "
    "break broken split down look looking check try instead".split()
)
_FILLER = frozenset("a an the please chart graph plot as of into to in with use it".split())


def _tail(text: str) -> str:
    return _CONTINUATION.sub(" ", text).strip(" ?.!")


# Ways of saying "excluding" the lexicon does not know as such; a follow-up uses them often.
_EXCLUDING = re.compile(
    r"\b(exclude|excluded|leave out|leaving out|omit|omitting|but not|everything but)\b", re.IGNORECASE
)


def _stripped(text: str) -> str:
    """The message without its follow-up and polite words, exclusions spelled as "excluding"."""
    text = _EXCLUDING.sub("excluding", text)
    return " ".join(_POLITE.sub(" ", _CONTINUATION.sub(" ", _LEADING.sub(" ", text))).split()).strip(" ,")


def _cleaned(text: str) -> str:
    return _stripped(text) or text


def _chart_request(text: str) -> str | None:
    for match in _CHART.finditer(text):
        if match.group(1):
            return CHART_TYPES[match.group(1).lower()]
        return "table"
    return None


def _chart_only(chart: str, previous: PreviousTurn) -> FollowUp:
    spec = {**(previous.chart or {}), "type": chart}
    reading = dict(previous.reading) if previous.reading else None
    return FollowUp(
        kind=FollowUpKind.CHART_ONLY,
        standalone_question=f"{previous.question} (as a {chart} chart)" if chart != "table" else previous.question,
        chart=spec,
        reading=reading,
    )


def _clarify(question: str, previous: PreviousTurn) -> FollowUp:
    return FollowUp(
        kind=FollowUpKind.CLARIFY,
        clarification=question,
        suggestions=[f"{previous.question} as a bar chart", "the maximum instead", "top 3"],
        reading=previous.reading,
    )


def _fresh(
    text: str,
    context: QuestionContext,
    answer_fresh: Callable[[str], tuple[GeneratedSQL, dict[str, Any] | None]],
    *,
    refinable: bool = False,
) -> FollowUp | None:
    """A fresh question: the engine answers it and it names a measure (or the table) itself. A
    numeric column by a group with no aggregate said ("tip by sex") refines a previous answer
    that can be refined (its aggregate and order stay) before it is read as a question of its own."""
    level = max(_names_a_measure(text, table, context) for table in context.tables)
    if level == 0 or (level == 1 and refinable):
        return None
    try:
        generated, reading = answer_fresh(text)
    except CannotAnswer:
        return None
    plan = (reading or {}).get("plan") or {}
    if level == 1 and not any(e.get("agg") for e in plan.get("select", [])):
        return None  # "tip by sex" read as two plain columns: better read as a refinement
    return FollowUp(kind=FollowUpKind.FRESH, standalone_question=text, generated=generated, reading=reading)


def _names_a_measure(text: str, table: TableInfo, context: QuestionContext) -> int:
    """2: the message names an aggregate, a superlative or the table; 1: a numeric column and a
    grouping, which makes a question only if the engine reads it as a measure per group; 0: neither."""
    schema = SchemaIndex.build(table)
    mentions = list(link(text, schema, _remembering(context.find_values)).mentions)
    if any(m.kind == "table" and not m.row_noun for m in mentions):
        return 2
    columns = [m for m in mentions if m.kind == "column"]
    if not columns and not any(m.kind == "table" for m in mentions):
        return 0
    if any(m.kind == "kw" and (m.has("agg") or m.has("count") or m.has("sup")) for m in mentions):
        return 2
    grouped = any(m.kind == "kw" and (m.has("bucket") or m.has("group")) for m in mentions) or re.search(
        r"\b(by|per)\b", text, re.IGNORECASE
    )
    return 1 if grouped and any(m.column.numeric_measure for m in columns) else 0


def _remembering(find_values: Callable[[list[str]], list[ValueMatch]]) -> Callable[[list[str]], list[ValueMatch]]:
    cache: dict[tuple[str, ...], list[ValueMatch]] = {}

    def lookup(phrases: list[str]) -> list[ValueMatch]:
        key = tuple(sorted(phrases))
        if key not in cache:
            cache[key] = find_values(phrases) if phrases else []
        return cache[key]

    return lookup


# --------------------------------------------------------------------------- what the message changes
def _fragment_filters(mentions: list[Mention], relink: Callable[[], Linked]) -> list[list[Cond]]:
    """The conditions the planner reads from the message alone ("only for smokers", "in 1952",
    "excluding Europe", "with a bill over 20"); the values themselves when it reads nothing."""
    try:
        fragment = plan_question(relink())
    except Unplaced:
        return _value_filters(mentions)
    where = [group for group in fragment.where if all(c.other is None and c.expr.agg is None for c in group)]
    return where or _value_filters(mentions)


def _value_filters(mentions: list[Mention]) -> list[list[Cond]]:
    groups: list[list[Cond]] = []
    for i, m in enumerate(mentions):
        if m.kind != "value" or not m.values:
            continue
        negated = (
            i > 0
            and mentions[i - 1].kind == "kw"
            and (mentions[i - 1].has("neg") or mentions[i - 1].payload("cmp") == "!=")
        )
        column, value = m.values[0]
        groups.append([Cond(Expr(column), "!=" if negated else "=", [value])])
    return groups


def _read_changes(linked: Linked, text: str, original: str, plan: Plan, relink: Callable[[], Linked]) -> _Changes:
    changes = _Changes()
    mentions, schema = linked.mentions, linked.schema
    ambiguous = _ambiguous_value(mentions, plan)
    if ambiguous:
        changes.ambiguity = ambiguous
        return changes
    changes.filters = _fragment_filters(mentions, relink)
    filtered_columns = {c.expr.column.name for group in changes.filters for c in group if c.expr.column}
    filtered_numbers = {float(v) for group in changes.filters for c in group for v in c.values if _is_number(v)}
    group_next = sort_next = sort_word = False
    last_group: Mention | None = None
    loose: list[ColumnRef] = []
    asking = bool(_ASK_WORDS.match(original))
    for i, m in enumerate(mentions):
        before = text[: linked.tokens[m.start].start] if m.start < len(linked.tokens) else text
        if m.kind == "kw":
            if m.has("bucket"):
                expr = _bucket_group(str(m.payload("bucket")), schema)
                if expr is not None:
                    changes.groups.append(expr)
            elif m.has("group"):
                group_next = True
            elif m.payload("wh") == "time" and not changes.filters:
                # "when?", "on which date?": the time of the row behind the answer
                moment = (
                    next((c for c in schema.columns if c.temporal), None)
                    or next((c for c in schema.columns if c.yearish), None)
                    or next((c for c in schema.columns if c.name.lower() in m.low.split()), None)
                )
                changes.asked = moment or changes.asked
            elif m.has("order"):
                sort_next = sort_word = True
            elif m.has("top") or m.has("bottom"):
                changes.descending = m.has("top")
                number = _number_after(mentions, i)
                changes.limit = int(number) if number is not None else changes.limit
            elif m.has("dir") and m.low.startswith("revers"):
                changes.flip = True  # "reverse the order": the other way round from the previous answer
            elif m.has("dir"):
                changes.descending = m.payload("dir") == "desc"
            elif m.has("count") and not any(x.kind == "column" for x in mentions):
                changes.measure = COUNT_ROWS
            elif m.has("agg") and m.payload("agg") in _AGGS:
                agg = str(m.payload("agg"))
                if agg == "count":
                    changes.measure = COUNT_ROWS
                else:
                    changes.measure_agg = agg
            elif m.has("sup"):
                changes.descending = m.payload("sup") == "desc"
                number = _number_after(mentions, i)
                if number is not None:
                    changes.limit = int(number)
        elif m.kind == "column":
            column = m.column
            content = [x for x in mentions[:i] if x.kind not in ("stop", "punct", "filler")]
            after_group = len(content) >= 2 and content[-1].has("and") and content[-2] is last_group
            if group_next or after_group or _GROUP_BEFORE.search(before):
                changes.groups.append(Expr(column))
                group_next = False
                last_group = m
            elif sort_next or _SORT_BEFORE.search(before):
                changes.order_by = Expr(column)
                sort_next = False
            elif column.name in filtered_columns:
                continue
            elif column.boolean_values is not None and not column.numeric_measure:
                # "just smokers", "non smokers": the yes/no column is the condition
                negated = (
                    i > 0
                    and mentions[i - 1].kind == "kw"
                    and (mentions[i - 1].has("neg") or mentions[i - 1].payload("cmp") == "!=")
                )
                true_value, false_value = column.boolean_values
                changes.filters.append([Cond(Expr(column), "=", [false_value if negated else true_value])])
            elif asking and not column.numeric_measure:
                changes.asked = column
            elif column.numeric_measure:
                changes.measure = Expr(column)
            else:
                loose.append(column)  # "countries in Europe": a head noun, or something asked back below
        elif (
            m.kind == "number"
            and m.number is not None
            and float(m.number) not in filtered_numbers
            and (
                _LIMIT_BEFORE.search(before)
                or _LIMIT_BEFORE.search(original[: original.find(m.text)])
                or len(mentions) <= 2
            )
            and changes.limit is None
            and float(m.number).is_integer()
            and m.number > 0
        ):
            changes.limit = int(m.number)
    group_columns = {g.column.name for g in [*plan.group, *changes.groups] if g.column is not None}
    sortable = [c for c in loose if not plan.group or c.name in group_columns]
    if sortable and (sort_word or changes.descending is not None) and changes.order_by is None:
        changes.order_by = Expr(sortable[0])  # "in descending order of day"
    elif loose and not changes.any():
        column = loose[0]
        changes.ambiguity = (
            f"Do you mean the answer by {column.name} (say 'by {column.name}'), or only some of its "
            "values (say 'only for …')?"
        )
    changes.add_groups = bool(_ADD_WORDS.search(original)) and not _REPLACE_WORDS.search(original)
    if _SEPARATELY.search(original):
        # "for Lunch and Dinner separately": those values, one row each
        values: dict[str, list[Cond]] = {}
        for group in changes.filters:
            name = _equalities_on(group)
            if name is not None:
                values.setdefault(name, []).extend(group)
        for conds in values.values():
            if len(conds) > 1 and conds[0].expr.column is not None:
                changes.groups.append(Expr(conds[0].expr.column))
                changes.add_groups = True
    return changes


def _ambiguous_value(mentions: list[Mention], plan: Plan) -> str:
    """A value stored in several columns, none of them filtered already: ask which is meant."""
    filtered = {c.expr.column.name for group in plan.where for c in group if c.expr.column}
    for m in mentions:
        if m.kind != "value":
            continue
        columns = list(dict.fromkeys(column.name for column, _ in m.values))
        if len(columns) > 1 and not any(name in filtered for name in columns):
            return f"Do you mean '{m.text}' as {' or as '.join(columns)}?"
        if len(columns) > 1:
            keep = next(name for name in columns if name in filtered)
            m.values = [(c, v) for c, v in m.values if c.name == keep]
    return ""


def _number_after(mentions: list[Mention], i: int) -> float | None:
    for m in mentions[i + 1 : i + 3]:
        if m.kind == "number" and m.number is not None:
            return m.number
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bucket_group(unit: str, schema: SchemaIndex) -> Expr | None:
    """`by day`, `per year`: a column of that name, else the date column cut to that unit."""
    named = next((c for c in schema.columns if c.name.lower() == unit), None)
    if named is not None:
        return Expr(named)
    if unit == "year":
        yearish = next((c for c in schema.columns if c.yearish), None)
        if yearish is not None:
            return Expr(yearish)
    temporal = next((c for c in schema.columns if c.temporal), None)
    return Expr(temporal, bucket=unit) if temporal is not None else None


# --------------------------------------------------------------------------- the refined plan
def _measure(plan: Plan) -> Expr | None:
    """The previous answer's measure: its first aggregate, else the column it was ordered by,
    else its one numeric shown column."""
    groups = {g.key() for g in plan.group}
    aggregated = next((e for e in plan.select if e.agg), None)
    if aggregated is not None:
        return aggregated
    ordered = next((e for e, _ in plan.order if e.column is not None and e.column.numeric_measure), None)
    if ordered is not None:
        return ordered
    return next(
        (e for e in plan.select if e.key() not in groups and e.column is not None and e.column.numeric_measure), None
    )


def apply_changes(previous: Plan, changes: _Changes, schema: SchemaIndex) -> Plan | None:
    plan = Plan(
        select=list(previous.select),
        star=previous.star,
        distinct=previous.distinct,
        where=[list(group) for group in previous.where],
        group=list(previous.group),
        order=list(previous.order),
        limit=previous.limit,
    )
    ordered_as_default = not previous.order or same_order(previous.order, default_order(previous))
    kept = list(plan.where)
    added: list[list[Cond]] = []
    for group in changes.filters:
        columns = {c.expr.column.name for c in group if c.expr.column}
        same = [g for g in kept if columns & {c.expr.column.name for c in g if c.expr.column}]
        if same and changes.add_groups and all(c.op == "=" for c in group):
            same[0].extend(group)  # "and for Asia too": one more value of the same column
            continue
        kept = [g for g in kept if g not in same]
        twin = next((g for g in added if _equalities_on(g) and _equalities_on(g) == _equalities_on(group)), None)
        if twin is not None:
            twin.extend(group)  # "Lunch and Dinner": both values of one column, never both at once
            continue
        added.append(group)  # the message's own conditions never replace each other
    plan.where = kept + added
    if changes.asked is not None:
        return _row_behind(plan, changes.asked)
    if (changes.measure is not None or changes.measure_agg is not None) and not _swap_measure(plan, changes):
        return None
    if changes.groups:
        _change_groups(plan, changes.groups, add=changes.add_groups)
    if (changes.groups or changes.measure or changes.measure_agg) and ordered_as_default:
        plan.order = default_order(plan)
    if changes.order_by is not None:
        if plan.group and all(g.key() != changes.order_by.key() for g in plan.group):
            return None  # a grouped answer sorts by its groups or its measure, not by another column
        plan.order = [(changes.order_by, bool(changes.descending))]
        _show(plan, changes.order_by)
    elif changes.descending is not None:
        measure = _measure(plan)
        if measure is None:
            return None
        plan.order = [(measure, changes.descending), *((g, False) for g in plan.group)]
    if changes.flip:
        if plan.order:
            (first, descending), *rest = plan.order
            plan.order = [(first, not descending), *rest]
        else:
            measure = _measure(plan)
            if measure is None:
                return None
            plan.order = [(measure, False)]
    if changes.limit is not None:
        plan.limit = changes.limit
        if not plan.order:
            measure = _measure(plan)
            if measure is not None and changes.descending is not False:
                plan.order = [(measure, True)]
    return plan


def _equalities_on(group: list[Cond]) -> str | None:
    """The column an OR-group of equalities is on (None for anything else)."""
    names = {c.expr.column.name for c in group if c.op == "=" and c.expr.column is not None and not c.year_of}
    return names.pop() if len(names) == 1 and all(c.op == "=" for c in group) else None


def _show(plan: Plan, expr: Expr) -> None:
    if plan.group and not expr.agg and all(g.key() != expr.key() for g in plan.group):
        return
    if not plan.star:
        plan.add_select(expr)


def _swap_measure(plan: Plan, changes: _Changes) -> bool:
    old = _measure(plan)
    if changes.measure is not None and changes.measure.column is None:
        new = COUNT_ROWS
    elif changes.measure is not None:
        column = changes.measure.column
        agg = changes.measure_agg or (old.agg if old is not None and old.agg not in (None, "count") else None)
        if agg is None and old is not None and old.agg == "count":
            agg = "avg"
        new = Expr(column, agg)
    else:
        if old is None or old.column is None:
            if changes.measure_agg == "count":
                new = COUNT_ROWS
            else:
                return False
        else:
            new = Expr(old.column, changes.measure_agg)
    groups = {g.key() for g in plan.group}
    if old is None:
        plan.select = [*(e for e in plan.select if e.key() in groups), new]
        plan.star = False
        return True
    if old.agg is None and new.agg is not None:
        # the previous answer was rows (`the highest tip`): the new one is that measure over them
        plan.select = [*plan.group, new]
        plan.order = [(e, d) for e, d in plan.order if e.key() != old.key()]
        plan.limit = None
        plan.star = plan.distinct = False
        return True
    plan.select = [new if e.key() == old.key() else e for e in plan.select]
    plan.order = [(new if e.key() == old.key() else e, d) for e, d in plan.order]
    return True


def _change_groups(plan: Plan, groups: list[Expr], *, add: bool) -> None:
    if plan.star or not any(e.agg for e in plan.select):
        # rows, not a measure: "by day" asks for the measure per group
        measure = _measure(plan)
        if measure is None:
            plan.select, plan.star = [COUNT_ROWS], False
        elif measure.agg is None:
            plan.select = [Expr(measure.column, "avg")]
        plan.order, plan.limit, plan.distinct = [], None, False
    old = {g.key() for g in plan.group}
    kept = list(plan.group) if add else []
    for g in groups:
        if all(k.key() != g.key() for k in kept):
            kept.append(g)
    measures = [e for e in plan.select if e.key() not in old]
    plan.group = kept
    plan.select = [*kept, *measures]
    keys = {g.key() for g in kept}
    plan.order = [(e, d) for e, d in plan.order if e.agg or e.key() in keys]


def _row_behind(plan: Plan, asked: ColumnRef) -> Plan | None:
    """`on which day?` after `the highest tip`: the row behind the extreme, showing that column."""
    measure = _measure(plan)
    if measure is None or measure.column is None or plan.group:
        return None
    if measure.agg in ("max", "min"):
        descending = measure.agg == "max"
    elif plan.limit == 1 and plan.order:
        descending = plan.order[0][1]
    else:
        return None
    raw = Expr(measure.column)
    return Plan(select=[Expr(asked), raw], where=plan.where, order=[(raw, descending)], limit=1)
