import reflex as rx

from lumiere.db import session_scope
from lumiere.services.dashboard import summarize
from lumiere.state.auth import AuthState


class DashboardState(AuthState):
    source_count: int = 0
    query_count: int = 0
    saved_insight_count: int = 0
    loaded: bool = False

    @rx.event
    def load(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        with session_scope() as session:
            summary = summarize(session, user)
        self.source_count = summary.sources
        self.query_count = summary.queries
        self.saved_insight_count = summary.saved_insights
        self.loaded = True
        return None
