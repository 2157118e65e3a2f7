"""What the dashboard shows a user: their counts and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from lumiere.models import Insight, Query, Source, User
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
