"""Export buttons: a signed download link made by the same service the REST route uses, then the
browser's own download (a page cannot send the bearer header with one)."""

from __future__ import annotations

import reflex as rx

from lumiere.services.deliveries import email_export
from lumiere.services.exports.downloads import download_link
from lumiere.state.arguments import INVALID_LINK, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed


class ExportState(AuthState):
    @rx.event
    async def download(self, query_id: str | int, fmt: str):
        """Check the answer can be exported now, then download it through a five-minute link."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        link = await self._call_service(lambda session, user: download_link(session, user, wanted, fmt))
        if isinstance(link, Failed):
            return link.event
        return rx.download(url=link.path, filename=link.filename)

    @rx.event
    async def email_me(self, query_id: str | int, fmt: str):
        """For an export too big to wait for: written by a job, the email links to the file."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        queued = await self._call_service(lambda session, user: email_export(session, user, wanted, fmt))
        if isinstance(queued, Failed):
            return queued.event
        return rx.toast.success(queued.detail)
