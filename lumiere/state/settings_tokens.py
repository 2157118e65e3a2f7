"""Settings → API tokens: create one (shown once), list them, revoke one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.models import User
from lumiere.models._base import iso_utc
from lumiere.services import api_tokens
from lumiere.state.arguments import INVALID_LINK, form_text, positive_id
from lumiere.state.display import short_time
from lumiere.state.service_calls import Failed

T = TypeVar("T")


@dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    prefix: str
    created: str
    last_used: str


def token_rows(infos: list[api_tokens.TokenInfo]) -> list[TokenRow]:
    return [
        TokenRow(
            id=str(info.id),
            name=info.name,
            prefix=info.prefix + "…",
            created=short_time(iso_utc(info.created_at)),
            last_used=short_time(iso_utc(info.last_used_at)) or "Never",
        )
        for info in infos
    ]


class TokensMixin(rx.State, mixin=True):
    api_tokens: list[TokenRow] = []
    # The token just created: shown once, forgotten when dismissed or when the page is left.
    new_token: str = ""
    new_token_name: str = ""
    token_error: str = ""
    token_form_key: int = 0

    if TYPE_CHECKING:

        async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed: ...

    @rx.event
    async def create_api_token(self, form_data: dict):
        self.token_error = ""
        name = form_text(form_data, "token_name")
        created = await self._call_service(
            lambda session, user: (api_tokens.create_token(session, user, name), api_tokens.list_tokens(session, user))
        )
        if isinstance(created, Failed):
            self.token_error = created.message
            return created.unless_shown_inline()
        token, infos = created
        self.new_token = token.token
        self.new_token_name = token.info.name
        self.api_tokens = token_rows(infos)
        self.token_form_key += 1
        return None

    @rx.event
    def dismiss_new_token(self):
        self.new_token = self.new_token_name = ""

    @rx.event
    async def revoke_api_token(self, token_id: str):
        wanted = positive_id(token_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        def revoke(session: Session, user: User) -> list[api_tokens.TokenInfo]:
            api_tokens.revoke_token_by_id(session, user, wanted)
            return api_tokens.list_tokens(session, user)

        revoked = await self._call_service(revoke)
        if isinstance(revoked, Failed):
            return revoked.event
        self.api_tokens = token_rows(revoked)
        return rx.toast.success("Token revoked: it stops working at once.")
