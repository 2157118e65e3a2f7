"""The built-in question engine: plain-language questions to SQL without any LLM.

It is the default when no LLM is configured and the fallback when the LLM is unreachable, so it
must be right or say it does not know: every word of the question has to be placed (a column, a
stored value, a number, a known phrase, or a harmless word); otherwise it raises CannotAnswer
with questions it can answer for this schema. SQL is built as a sqlglot tree: text from the
question only ever reaches it as a quoted literal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lumiere.core.chat import FollowUp, PreviousTurn
from lumiere.core.engine import (
    Attempt,
    CannotAnswer,
    GeneratedSQL,
    QuestionContext,
    ValueMatch,
)
from lumiere.core.enums import Engine
from lumiere.nlq.closest import closest_names, rewritten_questions
from lumiere.nlq.conversation import reading_of
from lumiere.nlq.followups import read_follow_up
from lumiere.nlq.reader import read_question
from lumiere.nlq.rendering import build_tree, chart_hint, describe
from lumiere.nlq.suggestions import suggest_questions

# Not the user-facing limit (lumiere.core.limits.MAX_QUESTION_CHARS): the most the rule-based
# reader takes on; a longer text is nearly always several questions at once, which it cannot place.
MAX_READABLE_QUESTION_CHARS = 400


class BuiltinEngine:
    name = Engine.BUILTIN

    def generate(
        self, question: str, context: QuestionContext, *, attempts: list[Attempt] | None = None
    ) -> GeneratedSQL:
        text = " ".join(question.split())
        if not text:
            raise CannotAnswer("Ask a question about your data.", suggest_questions(context.tables))
        if len(text) > MAX_READABLE_QUESTION_CHARS:
            raise CannotAnswer(
                f"Questions are limited to {MAX_READABLE_QUESTION_CHARS} characters; ask one thing at a time.",
                suggest_questions(context.tables),
            )
        if not context.tables:
            raise CannotAnswer("This source has no table to ask about.", [])
        find_values = _remembering(context.find_values)
        schema, plan, refusal = read_question(text, context.tables, find_values, context.semantics, context.dataset_key)
        if plan is None:
            assert refusal is not None  # read_question gives the planner's refusal whenever it gives no plan
            detail = refusal.reason or (
                "I could not work out what "
                + ", ".join(f"'{w}'" for w in refusal.words[:5])
                + " refers to in this data. Use column names or values as they appear in the table,"
                " or try one of the suggested questions."
            )
            rewrites: list[str] = []
            for word in refusal.words[:5]:  # the first word that looks like something in the data
                near = closest_names(word, context.tables)
                if near:
                    if not refusal.reason:
                        detail += f" Closest to '{word}' in this data: {', '.join(near)}."
                    rewrites = rewritten_questions(text, word, near)
                    break
            raise CannotAnswer(detail, [*rewrites, *suggest_questions(context.tables)][:8])
        if (plan.position is not None or plan.file_order is not None) and context.dialect != "duckdb":
            raise CannotAnswer(
                "Questions about the row before or after another need an uploaded file, whose rows keep their order.",
                suggest_questions(context.tables),
            )
        if context.dialect == "mysql" and any(e.agg == "median" for e in plan.select):
            raise CannotAnswer(
                "MySQL has no median; ask for the average instead.", suggest_questions(context.tables)
            )
        if context.dialect == "mysql" and plan.correlation is not None:
            raise CannotAnswer(
                "MySQL has no correlation function; ask for a scatter of the two columns instead "
                f"(for example '{plan.correlation.first.name} and {plan.correlation.second.name} of each row').",
                suggest_questions(context.tables),
            )
        tree = build_tree(plan, schema, context.dialect)
        return GeneratedSQL(
            sql=tree.sql(dialect=context.dialect),
            engine=self.name,
            explanation=describe(plan, schema),
            notes=list(plan.notes),
            chart_hint=chart_hint(plan),
            reading=reading_of(plan, schema, text),
        )

    def follow_up(self, message: str, previous: PreviousTurn, context: QuestionContext) -> FollowUp:
        """A chat follow-up read against the previous turn's plan (lumiere.nlq.followups)."""

        def answer_fresh(question: str) -> tuple[GeneratedSQL, dict[str, Any] | None]:
            generated = self.generate(question, context)
            return generated, generated.reading

        return read_follow_up(message, previous, context, answer_fresh)


def _remembering(
    find_values: Callable[[list[str]], list[ValueMatch]],
) -> Callable[[list[str]], list[ValueMatch]]:
    """One lookup per question even when several tables are read."""
    cache: dict[tuple[str, ...], list[ValueMatch]] = {}

    def lookup(phrases: list[str]) -> list[ValueMatch]:
        key = tuple(sorted(phrases))
        if key not in cache:
            cache[key] = find_values(phrases) if phrases else []
        return cache[key]

    return lookup
