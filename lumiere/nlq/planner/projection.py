"""Passes that read what the answer shows: every column (`*`), the question word (`who`, `when`),
and the columns left over once filters, orders and groups took theirs."""

from __future__ import annotations

from lumiere.nlq.lexicon import verb_lemmas
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Expr
from lumiere.nlq.planner.shared import additive_aggregate
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.row_nouns import is_plural_noun
from lumiere.nlq.schema import ColumnRef

_OWNER_CUES = frozenset("of for in from by all each every per among".split())


def _is_verb_form(word: str) -> bool:
    """`ranked`, `scored`, `playing`: a verb's participle rather than a noun."""
    return word.endswith(("ed", "ing")) and any(word != lemma for lemma in verb_lemmas(word))


def select_all(state: PlanState) -> None:
    """`show everything`, `all columns`: every column is shown."""
    cursor = state.cursor
    for mention in cursor.mentions:
        if mention.kind == "kw" and mention.has("star"):
            state.plan.star = True
            mention.used = True


def question_word(state: PlanState) -> None:
    """`who`, `when`, `where` at the start: the column the question word asks for."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions[:3]):
        if mention.used or mention.kind != "kw" or not mention.has("wh"):
            continue
        if any(x.kind != "stop" for x in cursor.mentions[:i]):
            continue  # "players who scored": a relative pronoun, not the question word
        concept = mention.payload("wh")
        if concept == "person" and state.schema.display_column.name_like:
            _who(state, mention)
            continue
        if any(x.kind == "column" and not x.used for x in cursor.mentions):
            mention.used = True
            continue
        mention.used = True
        if concept == "person":
            state.plan.add_select(Expr(state.schema.display_column))
        else:
            columns = state.schema.concept_columns(concept)
            if columns:
                state.plan.add_select(Expr(columns[0]))


def _who(state: PlanState, who_word: Mention) -> None:
    """`who is ranked directly before X?`: a name is asked; verbs naming columns (`ranked`,
    `scored`) say how the person is found, they are not asked for."""
    cursor = state.cursor
    who_word.used = True
    named = [
        x for x in cursor.mentions if x.kind == "column" and not x.used and x.column is state.schema.display_column
    ]
    for mention in named:
        mention.used = True
    asked = Expr(state.schema.display_column)
    state.plan.select = [asked, *(e for e in state.plan.select if e.key() != asked.key())]
    for x in cursor.mentions:
        if x.kind == "column" and not x.used and x.end - x.start == 1 and _is_verb_form(x.low):
            x.used = True


def projection(state: PlanState) -> None:
    """Every column mention left over is shown (a trend's measure aggregated per period)."""
    cursor = state.cursor
    first_aggregate = next(
        (k for k, x in enumerate(cursor.mentions) if x.kind == "kw" and (x.has("count") or x.has("agg")) and x.used),
        None,
    )
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "column":
            continue
        mention.used = True
        before = i - 1
        while before >= 0 and (
            cursor.mentions[before].low in ("the", "a", "an")
            or (cursor.mentions[before].kind == "value" and cursor.mentions[before].used)
        ):
            before -= 1  # "among (the) Asian countries"
        if mention.also_table and before is not None and before >= 0 and cursor.mentions[before].low in _OWNER_CUES:
            continue  # "formats of orchestras": the rows, not the Orchestra column
        if (
            i >= 2
            and cursor.mentions[i - 1].low == "all"
            and cursor.mentions[i - 2].low in ("across", "over", "in", "throughout")
        ):
            continue  # "finishes across all events": every event together, not one row per event
        if (
            first_aggregate is not None
            and i > first_aggregate
            and mention.column.is_id
            and not state.plan.group
            and not state.group_all
        ):
            continue  # "how many professionals treated dogs": dogs only say how they relate
        if (
            first_aggregate is not None
            and i > first_aggregate
            and before >= 0
            and cursor.mentions[before].low in ("of", "among", "across")
            and _names_rows(mention)
            and any(e.agg for e in state.plan.select)
            and not state.plan.group
            and not state.group_all
        ):
            continue  # "the average life expectancy of Asian countries": the rows averaged, not a group each
        if mention.coverage < 1.0 and any(
            c.expr.column is mention.column and c.op != "distinct" for group in state.plan.where for c in group
        ):
            continue  # "how many teams played only one season": `played` is the filtered column again
        distinct_index = cursor.previous_index(i, skip=("stop", "punct", "filler"))
        if cursor.is_keyword(distinct_index, "distinct"):
            cursor.mentions[distinct_index].used = True
            state.plan.distinct = True
        for column in _projected_columns(mention):
            if state.trend and column.numeric_measure:
                state.plan.add_select(Expr(column, additive_aggregate(column)))
            else:
                state.plan.add_select(Expr(column))
    for mention in cursor.mentions:
        if mention.kind == "kw" and mention.has("distinct") and not mention.used:
            mention.used = True
            if state.plan.select and not any(e.agg for e in state.plan.select):
                state.plan.distinct = True


def _names_rows(mention: Mention) -> bool:
    """`countries` over a country column: a plural that names what the rows are about."""
    words = mention.low.split()
    return mention.column.text and len(words) == 1 and is_plural_noun(words[0], noun_position=True)


def _projected_columns(mention: Mention) -> list[ColumnRef]:
    """A generic word (`name`) that fits several columns equally shows them all."""
    best = mention.columns[0]
    ties = [c for c in mention.columns if len(c.words) == len(best.words)]
    if len(ties) > 1 and len(best.words) > 1 and best.name_like:
        return ties[:3]
    return [best]
