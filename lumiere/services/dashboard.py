"""What the dashboard shows a user: their counts, the first-run guide's steps and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from lumiere import routes
from lumiere.core.enums import ChatRole
from lumiere.models import ChatMessage, ChatSession, Insight, Query, Schedule, ShareLink, Source, User
from lumiere.services.policy import own_filter


@dataclass(frozen=True)
class DashboardSummary:
    sources: int
    queries: int
    saved_insights: int


def summarize(session: Session, user: User) -> DashboardSummary:
    def count(model, *conditions) -> int:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()

    return DashboardSummary(
        sources=count(Source, own_filter(Source, user)),
        queries=count(Query, own_filter(Query, user)),
        saved_insights=count(Insight, own_filter(Insight, user), col(Insight.saved).is_(True)),
    )


@dataclass(frozen=True)
class GuideStep:
    """One step of "Getting started": done when the user's own data shows they did it."""

    key: str
    title: str
    body: str
    href: str
    action: str
    done: bool


@dataclass(frozen=True)
class Guide:
    steps: list[GuideStep]
    dismissed: bool

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def getting_started(session: Session, user: User) -> Guide:
    """The first-run steps, each ticked from what the user has made (in any space), not from clicks."""
    def has(model, *conditions) -> bool:
        return session.exec(select(model.id).where(own_filter(model, user), *conditions).limit(1)).first() is not None

    follow_up = session.exec(
        select(ChatMessage.session_id)
        .join(ChatSession, col(ChatSession.id) == col(ChatMessage.session_id))
        .where(own_filter(ChatSession, user), col(ChatMessage.role) == ChatRole.USER)
        .group_by(col(ChatMessage.session_id))
        .having(func.count() >= 2)
        .limit(1)
    ).first()
    steps = [
        GuideStep("data", "Load the sample or add data", "Try the sample dataset, upload a CSV or connect a database.",
                  routes.DATA.path, "Add data", has(Source)),
        GuideStep("ask", "Ask a first question", "Ask in plain words; you get the answer, its chart and the SQL.",
                  routes.QUERY.path, "Ask", has(Query)),
        GuideStep("insight", "Save an insight", "Under an answer, write an insight and save it for later.",
                  routes.QUERY.path, "Open Ask", has(Insight, col(Insight.saved).is_(True))),
        GuideStep("chat", "Try a follow-up in chat", "Ask a question in Chat, then refine it (\"only for Europe\").",
                  routes.CHAT.path, "Open Chat", follow_up is not None),
        GuideStep("share", "Schedule or share an answer", "Email an answer on a schedule, or share it with a link.",
                  routes.HISTORY.path, "Open History", has(Schedule) or has(ShareLink)),
    ]
    return Guide(steps=steps, dismissed=user.guide_dismissed)


def set_guide_dismissed(session: Session, user: User, dismissed: bool) -> Guide:
    """Closes the guide (the dashboard stops showing it) or brings it back (the help menu)."""
    user.guide_dismissed = bool(dismissed)
    session.add(user)
    session.flush()
    return getting_started(session, user)
