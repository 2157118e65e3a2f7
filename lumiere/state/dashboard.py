"""The Dashboard: how many sources, questions and saved insights the user has."""

import reflex as rx

from lumiere.services.dashboard import summarize
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed


class DashboardState(AuthState):
    source_count: int = 0
    query_count: int = 0
    saved_insight_count: int = 0
    loaded: bool = False

    @rx.event
    async def load(self):
        summary = await self._call_service(summarize)
        if isinstance(summary, Failed):
            return summary.event
        self.source_count = summary.sources
        self.query_count = summary.queries
        self.saved_insight_count = summary.saved_insights
        self.loaded = True
        return None
