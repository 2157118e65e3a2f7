"""What a follow-up in a conversation is read against, and what reading it gives back.

The chat service keeps, for every assistant turn that ran SQL, the turn's standalone question and
SQL and the engine's own reading of it (`reading`: JSON the engine wrote and alone interprets, e.g.
the built-in engine's plan). A follow-up ("only for 2023", "as a line chart", "top 3") is read
against the latest such turn by the engine that can (`FollowUpReader`), which says whether it
refines that answer, only changes its chart, needs a clarifying question, or is a fresh question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from lumiere.core.engine import GeneratedSQL, QuestionContext


@dataclass(frozen=True)
class PreviousTurn:
    question: str  # the standalone question the previous answer answered
    sql: str
    reading: dict[str, Any] | None = None  # the engine's JSON reading of that turn (None: unknown)
    chart: dict[str, Any] | None = None  # the chart shown: {type, x, y, color, title}
    columns: tuple[str, ...] = ()  # the answer's column names
    rows_preview: tuple[tuple[Any, ...], ...] = ()  # a few rows, for "on which day?" and the LLM summary


class FollowUpKind(StrEnum):
    REFINED = "refined"  # new SQL for the refined question
    CHART_ONLY = "chart_only"  # same rows, another chart: no query runs
    CLARIFY = "clarify"  # ambiguous: ask the user a short question instead of guessing
    FRESH = "fresh"  # a complete question on its own: answer it as a first question


@dataclass
class FollowUp:
    kind: FollowUpKind
    standalone_question: str = ""  # the refined question written out in full (REFINED, CHART_ONLY)
    generated: GeneratedSQL | None = None  # REFINED: the SQL, with the explanation of what changed
    chart: dict[str, Any] | None = None  # CHART_ONLY (or REFINED with a chart request): {type, x?, y?, color?}
    clarification: str = ""  # CLARIFY: the question to ask back
    suggestions: list[str] = field(default_factory=list)
    reading: dict[str, Any] | None = None  # the engine's JSON reading of the new turn, kept for the next


class FollowUpReader(Protocol):
    def follow_up(self, message: str, previous: PreviousTurn, context: QuestionContext) -> FollowUp: ...
