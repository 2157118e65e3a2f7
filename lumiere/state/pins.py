"""The "Pin to dashboard" button's handler, shared by the Ask, History and Saved insights pages."""

from __future__ import annotations

import reflex as rx
from reflex_components_sonner.toast import ToastAction

from lumiere import routes
from lumiere.services import pins
from lumiere.state.arguments import INVALID_LINK, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed


class PinState(AuthState):
    @rx.event
    async def pin(self, query_id: str | int):
        """Pins the answer to its space's dashboard; the toast offers the way there."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        pinned = await self._call_service(lambda session, user: pins.pin_query(session, user, wanted).workspace_id)
        if isinstance(pinned, Failed):
            return pinned.event
        where = "the workspace's dashboard" if pinned is not None else "your dashboard"
        opening = ToastAction(label="Open dashboard", on_click=rx.redirect(routes.DASHBOARD.path))
        return rx.toast.success(f"Pinned to {where}.", action=opening)
