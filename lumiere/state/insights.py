"""Insights: the panel beside an answer's chart (a mixin) and the Saved insights page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.models import User
from lumiere.services import ask, deliveries, insights, workspaces
from lumiere.services.markdown_safety import safe_markdown
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import INVALID_LINK, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.display import short_time
from lumiere.state.service_calls import Failed

T = TypeVar("T")


@dataclass(frozen=True)
class SavedInsightRow:
    """A saved insight as the Saved insights page lists it (text already made safe Markdown)."""

    id: str
    query_id: str
    question: str
    text: str
    created: str
    saved_by: str = ""  # someone else's insight in a workspace's list
    source_name: str = ""
    figure: dict[str, Any] = field(default_factory=dict)  # the answer's chart, drawn again from its rows


MAX_CHARTED = 6  # the newest saved insights show their chart; each one reads its rows again


def _saved_items(session: Session, user: User, space: int | None = None) -> list[SavedInsightRow]:
    """One space's saved insights as the Saved insights page lists them, newest first."""
    saved = insights.list_insights(session, user, saved=True, workspace_id=space)
    questions = insights.questions_for(session, saved)
    source_names = insights.sources_for(session, saved)
    names = workspaces.others_names(session, user, saved)
    shown = [
        insights.public_insight(
            insight, question=questions.get(insight.query_id, ""), created_by=names.get(insight.user_id)
        )
        for insight in saved
    ]
    return [
        SavedInsightRow(
            id=str(item.id),
            query_id=str(item.query_id),
            question=item.question or "(SQL written by hand)",
            text=safe_markdown(item.text or ""),
            created=short_time(item.created_at),
            saved_by=item.created_by or "",
            source_name=source_names.get(item.query_id, ""),
            figure=_chart_figure(session, user, item.query_id) if position < MAX_CHARTED else {},
        )
        for position, item in enumerate(shown)
    ]


def _chart_figure(session: Session, user: User, query_id: int) -> dict[str, Any]:
    chart = ask.chart_for_query(session, user, query_id)
    return dict(chart["figure"]) if chart else {}


def _latest_insight(session: Session, user: User, query_id: int) -> insights.InsightView | None:
    for insight in insights.list_insights(session, user):
        if insight.query_id == query_id:
            return insights.public_insight(insight)
    return None


class InsightMixin(rx.State, mixin=True):
    insight_query_id: int = 0
    insight_id: int = 0
    insight_text: str = ""
    insight_engine: str = ""
    insight_saved: bool = False
    insight_busy: bool = False
    insight_error: str = ""

    if TYPE_CHECKING:
        # AuthState's, which every page state that mixes this in extends.
        async def _call_service(
            self, work: Callable[[Session, User], T], group: Group = Group.DEFAULT
        ) -> T | Failed: ...

    def _clear_insight(self) -> None:
        self.insight_query_id = self.insight_id = 0
        self.insight_text = self.insight_engine = self.insight_error = ""
        self.insight_saved = self.insight_busy = False

    def _prepare_insight(self, query_id: int) -> None:
        self._clear_insight()
        self.insight_query_id = query_id
        self.insight_busy = True

    def _show_insight(self, insight: insights.InsightView) -> None:
        self.insight_id = insight.id
        self.insight_text = safe_markdown(insight.text or "")
        self.insight_engine = {"llm": "Written by the LLM", "builtin": "Computed from the rows"}.get(
            str(insight.engine), ""
        )
        self.insight_saved = insight.saved
        self.insight_busy = False
        self.insight_error = ""

    @rx.event(background=True)
    async def generate_insight(self):
        async with self:
            query_id = self.insight_query_id
            if not query_id:
                self.insight_busy = False
                return None
            self.insight_busy = True
            self.insight_error = ""
        insight = await self._call_service(
            lambda session, user: insights.public_insight(insights.create_insight(session, user, query_id))
        )
        if isinstance(insight, Failed):
            async with self:
                if self.insight_query_id == query_id:
                    self.insight_busy = False
                    self.insight_error = insight.message
            return insight.unless_shown_inline()
        async with self:
            if self.insight_query_id == query_id:
                self._show_insight(insight)
        return None

    @rx.event(background=True)
    async def load_latest_insight(self):
        """A history entry shows the insight written for it before, and writes one only if there is none."""
        async with self:
            query_id = self.insight_query_id
            if not query_id:
                return None
        found = await self._call_service(lambda session, user: _latest_insight(session, user, query_id))
        if isinstance(found, Failed):
            async with self:
                if self.insight_query_id == query_id:
                    self.insight_busy = False
                    self.insight_error = found.message
            return found.unless_shown_inline()
        if found is None:
            # `self` is a StateProxy in a background handler: its __class__ (not type()) is the page state
            return self.__class__.generate_insight
        async with self:
            if self.insight_query_id == query_id:
                self._show_insight(found)
        return None

    @rx.event
    async def toggle_insight_saved(self):
        insight_id, saved = self.insight_id, not self.insight_saved
        if not insight_id:
            return None
        updated = await self._call_service(
            lambda session, user: insights.public_insight(insights.set_saved(session, user, insight_id, saved))
        )
        if isinstance(updated, Failed):
            return updated.event
        self.insight_saved = updated.saved
        return rx.toast.success("Insight saved." if self.insight_saved else "Insight removed from Saved insights.")


class InsightsState(AuthState):
    """/insights: the insights the user saved, newest first, each linked to its query."""

    saved_items: list[SavedInsightRow] = []
    loaded: bool = False
    pending_delete: int = 0

    @rx.var
    def confirming_delete(self) -> bool:
        return self.pending_delete > 0

    async def _refresh(self) -> Failed | None:
        space = self._space()
        shown = await self._call_service(lambda session, user: _saved_items(session, user, space))
        if isinstance(shown, Failed):
            return shown
        self.saved_items = shown
        self.loaded = True
        return None

    @rx.event
    async def load(self):
        failed = await self._refresh()
        return failed.event if failed else None

    @rx.event
    async def unsave(self, insight_id: str):
        wanted = positive_id(insight_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        unsaved = await self._call_service(lambda session, user: insights.set_saved(session, user, wanted, False))
        if isinstance(unsaved, Failed):
            return unsaved.event
        failed = await self._refresh()
        return failed.event if failed else rx.toast.success("Removed from Saved insights.")

    @rx.event
    async def email_me(self, insight_id: str):
        """Queues the insight, with its chart, to the user's own address (the job sends it)."""
        wanted = positive_id(insight_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        queued = await self._call_service(lambda session, user: deliveries.email_insight(session, user, wanted))
        if isinstance(queued, Failed):
            return queued.event
        return rx.toast.success(queued.detail)

    @rx.event
    def ask_delete(self, insight_id: str):
        wanted = positive_id(insight_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        self.pending_delete = wanted
        return None

    @rx.event
    def cancel_delete(self):
        self.pending_delete = 0

    @rx.event
    async def confirm_delete(self):
        insight_id, self.pending_delete = self.pending_delete, 0
        deleted = await self._call_service(lambda session, user: insights.delete_insight(session, user, insight_id))
        if isinstance(deleted, Failed):
            return deleted.event
        failed = await self._refresh()
        return failed.event if failed else rx.toast.success("Insight deleted.")
