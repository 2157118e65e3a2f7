"""The cards of an exploration on the Ask page (a mixin): what each shows, and opening one as a question.

A vague request's answer carries 3-6 cards (see `lumiere.services.explore`); the page shows them in
a grid, and "Open as question" puts a card's SQL in the SQL editor, to run (and edit) as any SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import reflex as rx

from lumiere.services.explore import ExplorationCardView
from lumiere.services.markdown_safety import safe_markdown
from lumiere.state.arguments import whole_number

NOT_A_CARD = "That card is no longer shown; ask again to explore the data."


@dataclass(frozen=True)
class ExplorationTile:
    """One card as the grid shows it; the insight is already inert markdown."""

    index: int
    title: str
    insight: str
    figure: dict[str, Any]
    chart_type: str
    sql: str
    element_id: str


def exploration_tiles(cards: list[ExplorationCardView] | None) -> list[ExplorationTile]:
    return [
        ExplorationTile(
            index=index,
            title=card.title,
            insight=safe_markdown(card.insight),
            figure=(card.chart or {}).get("figure") or {},
            chart_type=str((card.chart or {}).get("type") or "table"),
            sql=card.sql,
            element_id=f"exploration-card-{index}",
        )
        for index, card in enumerate(cards or [])
    ]


class ExplorationMixin(rx.State, mixin=True):
    exploration_tiles: list[ExplorationTile] = []
    # The card whose SQL is in the editor: running it records the card's title as the question.
    exploration_question: str = ""

    if TYPE_CHECKING:
        # QueryState's, which mixes this in.
        sql_draft: str
        editing_sql: bool

    @rx.var
    def has_exploration(self) -> bool:
        return bool(self.exploration_tiles)

    def _clear_exploration(self) -> None:
        self.exploration_tiles = []
        self.exploration_question = ""

    def _show_exploration(self, cards: list[ExplorationCardView] | None) -> None:
        self.exploration_tiles = exploration_tiles(cards)
        self.exploration_question = ""

    @rx.event
    def open_card_as_question(self, index: Any):
        """The card's SQL in the SQL editor, ready to run or change."""
        position = whole_number(index)
        if position is None or not 0 <= position < len(self.exploration_tiles):
            return rx.toast.error(NOT_A_CARD)
        tile = self.exploration_tiles[position]
        self.sql_draft = tile.sql
        self.exploration_question = tile.title
        self.editing_sql = True
        return rx.scroll_to("sql-editor")
