"""The Dashboard: the user's counts, the "Getting started" guide, and the pinned answers of the space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere import routes
from lumiere.core.errors import Invalid
from lumiere.models import User
from lumiere.services import dashboard, pins
from lumiere.state.arguments import INVALID_LINK, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed

# Tailwind-free grid spans: a pin's width in columns (1 narrow .. 3 full width) on wide screens.
SPANS = {1: "span 1", 2: "span 2", 3: "span 3"}


@dataclass(frozen=True)
class PinCard:
    """A pin as the grid draws it."""

    id: str
    query_id: str
    question: str
    source_name: str
    kind: str  # chart | number | error
    value: str = ""
    label: str = ""
    error: str = ""
    figure: dict[str, Any] = field(default_factory=dict)
    width: int = 1
    span: str = "span 1"
    first: bool = False
    last: bool = False
    href: str = ""


@dataclass(frozen=True)
class GuideRow:
    key: str
    title: str
    body: str
    href: str
    action: str
    done: bool


@dataclass(frozen=True)
class Loaded:
    summary: dashboard.DashboardSummary
    guide: dashboard.Guide
    pins: list[pins.PinView]
    can_arrange: bool


def _load(session: Session, user: User, space: int | None) -> Loaded:
    return Loaded(
        summary=dashboard.summarize(session, user),
        guide=dashboard.getting_started(session, user),
        pins=pins.draw_dashboard(session, user, space),
        can_arrange=pins.may_arrange(session, user, space),
    )


def _cards(views: list[pins.PinView]) -> list[PinCard]:
    return [
        PinCard(
            id=str(view.id), query_id=str(view.query_id), question=view.question, source_name=view.source_name,
            kind=view.kind, value=view.value, label=view.label, error=view.error, figure=view.figure or {},
            width=view.width, span=SPANS.get(view.width, "span 1"), first=index == 0, last=index == len(views) - 1,
            href=routes.query_url(view.query_id),
        )
        for index, view in enumerate(views)
    ]


class DashboardState(AuthState):
    source_count: int = 0
    query_count: int = 0
    saved_insight_count: int = 0
    loaded: bool = False
    guide_steps: list[GuideRow] = []
    guide_dismissed: bool = False
    pin_cards: list[PinCard] = []
    can_arrange: bool = False

    @rx.var
    def guide_done_count(self) -> int:
        return sum(1 for step in self.guide_steps if step.done)

    @rx.var
    def show_guide(self) -> bool:
        return self.loaded and not self.guide_dismissed

    def _show_guide_steps(self, guide: dashboard.Guide) -> None:
        self.guide_steps = [
            GuideRow(key=step.key, title=step.title, body=step.body, href=step.href, action=step.action,
                     done=step.done)
            for step in guide.steps
        ]
        self.guide_dismissed = guide.dismissed

    async def _reload(self) -> Failed | None:
        space = self._space()
        loaded = await self._call_service(lambda session, user: _load(session, user, space))
        if isinstance(loaded, Failed):
            return loaded
        self.source_count = loaded.summary.sources
        self.query_count = loaded.summary.queries
        self.saved_insight_count = loaded.summary.saved_insights
        self._show_guide_steps(loaded.guide)
        self.pin_cards = _cards(loaded.pins)
        self.can_arrange = loaded.can_arrange
        self.loaded = True
        return None

    async def _set_guide(self, dismissed: bool) -> Failed | None:
        guide = await self._call_service(
            lambda session, user: dashboard.set_guide_dismissed(session, user, dismissed)
        )
        if isinstance(guide, Failed):
            return guide
        self._show_guide_steps(guide)
        return None

    @rx.event
    async def load(self):
        failed = await self._reload()
        return failed.event if failed else None

    @rx.event
    async def dismiss_guide(self):
        failed = await self._set_guide(True)
        return failed.event if failed else rx.toast.info("Getting started is hidden; the user menu brings it back.")

    @rx.event
    async def show_guide_again(self):
        """The user menu's "Show getting started": back on the dashboard, even when every step is done."""
        failed = await self._set_guide(False)
        return failed.event if failed else rx.redirect(routes.DASHBOARD.path)

    async def _arrange(self, pin_id: str, **changes: int) -> Failed | None:
        wanted = positive_id(pin_id)
        if wanted is None:
            return Failed.of(Invalid(INVALID_LINK))
        space = self._space()

        def arrange(session: Session, user: User) -> list[pins.PinView]:
            pins.arrange_pin(session, user, wanted, **changes)
            return pins.draw_dashboard(session, user, space)

        drawn = await self._call_service(arrange)
        if isinstance(drawn, Failed):
            return drawn
        self.pin_cards = _cards(drawn)
        return None

    @rx.event
    async def move(self, pin_id: str, position: int):
        failed = await self._arrange(pin_id, position=max(0, int(position)))
        return failed.event if failed else None

    @rx.event
    async def resize(self, pin_id: str, width: int):
        failed = await self._arrange(pin_id, width=int(width))
        return failed.event if failed else None

    @rx.event
    async def unpin(self, pin_id: str):
        wanted = positive_id(pin_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        space = self._space()

        def remove(session: Session, user: User) -> list[pins.PinView]:
            pins.unpin(session, user, wanted)
            return pins.draw_dashboard(session, user, space)

        drawn = await self._call_service(remove)
        if isinstance(drawn, Failed):
            return drawn.event
        self.pin_cards = _cards(drawn)
        return rx.toast.success("Removed from the dashboard.")

    @rx.event
    async def refresh(self):
        """Every pin drawn again from its data."""
        failed = await self._reload()
        return failed.event if failed else rx.toast.success("Refreshed from the data.")
