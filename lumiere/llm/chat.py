"""The LLM in a conversation: earlier turns (question, SQL, a compact result) plus the latest message
-> standalone SQL, a chart for the previous rows, or words (a clarifying question, a refusal).

It reads a follow-up like the built-in engine does (`FollowUpReader`), and doubles as the engine of
Ask's self-correction loop: the first `generate` returns the SQL it already wrote, later ones see
the failed tries in the conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import model_validator

from lumiere.core.chat import FollowUp, FollowUpKind, PreviousTurn
from lumiere.core.engine import Attempt, CannotAnswer, GeneratedSQL, QuestionContext
from lumiere.core.limits import MAX_QUESTION_CHARS
from lumiere.llm.client import LlmClient
from lumiere.llm.engine import (
    MAX_ERROR_CHARS,
    MAX_SQL_CHARS,
    SYSTEM_PROMPT,
    LlmEngine,
    SqlAnswer,
    data_value,
    dialect_terms,
    partial_field,
    render_schema,
)
from lumiere.llm.prompts import as_data, render_prompt
from lumiere.nlq.suggestions import suggest_questions

# The conversation's share of the prompt, in characters (about 4 per token): the latest turns first.
MAX_HISTORY_CHARS = 12_000
MAX_PREVIEW_ROWS = 5
MAX_REPLY_CHARS = 1000


def partial_reply(text: str) -> str:
    """The words of the model's "reply" received so far, for streaming into the page."""
    return partial_field(text, "reply")[:MAX_REPLY_CHARS]


class ChatAnswer(SqlAnswer):
    """The model's answer in a chat: SQL, a chart only, or words alone."""

    reply: str | None = None
    question: str | None = None

    @model_validator(mode="after")
    def _sql_or_reason(self) -> ChatAnswer:  # replaces SqlAnswer's rule: a reply or a chart will do too
        if self.sql is None and not (self.reply or "").strip() and self.chart_hint() is None:
            raise ValueError('give "sql", a "chart", or "sql": null with a "reply"')
        return self


def turn_entries(turns: list[PreviousTurn], budget: int = MAX_HISTORY_CHARS) -> list[dict[str, Any]]:
    """The conversation for the prompt, oldest first, holding as many of the latest turns as fit the budget."""
    kept: list[dict[str, Any]] = []
    used = 0
    for turn in reversed(turns):
        entry: dict[str, Any] = {"question": turn.question[:MAX_QUESTION_CHARS], "sql": turn.sql[:MAX_SQL_CHARS]}
        if turn.columns:
            entry["result_columns"] = list(turn.columns)
            entry["first_rows"] = [[data_value(value) for value in row] for row in turn.rows_preview[:MAX_PREVIEW_ROWS]]
        if turn.chart:
            entry["chart"] = {key: turn.chart.get(key) for key in ("type", "x", "y") if turn.chart.get(key)}
        size = len(as_data(entry))
        if kept and used + size > budget:
            break
        kept.append(entry)
        used += size
    return list(reversed(kept))


class ChatLlmEngine(LlmEngine):
    def __init__(
        self, client: LlmClient, turns: list[PreviousTurn], on_partial: Callable[[str], None] | None = None
    ) -> None:
        super().__init__(client, on_partial)
        self.turns = turns
        self._first: GeneratedSQL | None = None
        self._message = ""

    def follow_up(self, message: str, previous: PreviousTurn, context: QuestionContext) -> FollowUp:
        """Raises LlmUnavailable when the model cannot be used."""
        self._message = message
        turns = self.turns if self.turns and self.turns[-1] is previous else [*self.turns, previous]
        self.turns = turns
        answer = self._ask(message, context, [])
        reply = (answer.reply or "").strip()[:MAX_REPLY_CHARS]
        standalone = (answer.question or "").strip()[:MAX_QUESTION_CHARS] or message
        if answer.sql is not None:
            self._first = GeneratedSQL(
                sql=answer.sql, engine=self.name, explanation=reply, chart_hint=answer.chart_hint()
            )
            return FollowUp(
                kind=FollowUpKind.REFINED, standalone_question=standalone, generated=self._first,
                chart=answer.chart_hint(),
            )
        chart = answer.chart_hint()
        if chart is not None:
            return FollowUp(kind=FollowUpKind.CHART_ONLY, standalone_question=previous.question, chart=chart)
        return FollowUp(kind=FollowUpKind.CLARIFY, clarification=reply, suggestions=suggest_questions(context.tables))

    def generate(
        self, question: str, context: QuestionContext, *, attempts: list[Attempt] | None = None
    ) -> GeneratedSQL:
        if not attempts and self._first is not None:
            return self._first
        answer = self._ask(self._message or question, context, attempts or [])
        if answer.sql is None:
            raise CannotAnswer(
                f"This question cannot be answered from the data: {(answer.reply or '').strip()[:300]}",
                suggestions=suggest_questions(context.tables),
            )
        return GeneratedSQL(
            sql=answer.sql, engine=self.name, explanation=(answer.reply or "").strip()[:500],
            chart_hint=answer.chart_hint(),
        )

    def _ask(self, message: str, context: QuestionContext, attempts: list[Attempt]) -> ChatAnswer:
        return self.client.complete_json(
            purpose="sql",
            system=SYSTEM_PROMPT,
            prompt=build_chat_prompt(message, self.turns, context, attempts),
            user_id=context.user_id,
            validate=ChatAnswer.model_validate,
            on_text=self._streamed(attempts, "reply"),
        )


def build_chat_prompt(
    message: str, turns: list[PreviousTurn], context: QuestionContext, attempts: list[Attempt]
) -> str:
    dialect_name, quote = dialect_terms(context.dialect)
    recent = " ".join([message, *(turn.question for turn in turns[-2:])])
    schema = render_schema(context.tables, recent, semantics=context.semantics)
    history = turn_entries(turns)
    history += [
        {"sql": attempt.sql[:MAX_SQL_CHARS], "error": attempt.error[:MAX_ERROR_CHARS]} for attempt in attempts
    ]
    return render_prompt(
        "chat_prompt",
        dialect_name=dialect_name,
        quote=quote,
        schema=schema.text,
        schema_note=schema.note,
        history=as_data(history),
        question=as_data(message[:MAX_QUESTION_CHARS]),
    )
