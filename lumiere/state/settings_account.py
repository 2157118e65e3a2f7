"""Settings → Delete account: confirmed with the password, then what was deleted, then signed out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.db import saved_id
from lumiere.models import User
from lumiere.services.account import DeletionSummary, delete_account
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import form_text
from lumiere.state.service_calls import Failed

T = TypeVar("T")


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def summary_lines(summary: DeletionSummary) -> list[str]:
    """What went, one line per kind, as the page lists it after the deletion."""
    return [
        _count(summary.sources, "data source", "data sources")
        + f" ({_count(summary.connections, 'database connection', 'database connections')} with their passwords)",
        _count(summary.dataset_files, "dataset file", "dataset files"),
        _count(summary.queries, "query", "queries") + " in your history",
        _count(summary.insights, "insight", "insights"),
        _count(summary.chats, "chat", "chats") + f" ({_count(summary.chat_messages, 'message', 'messages')})",
        _count(summary.api_tokens, "API token", "API tokens"),
        _count(summary.learned_examples, "learned example", "learned examples"),
    ]


class AccountMixin(rx.State, mixin=True):
    delete_open: bool = False
    delete_error: str = ""
    deleted_email: str = ""
    deleted_lines: list[str] = []

    if TYPE_CHECKING:

        async def _call_service(
            self, work: Callable[[Session, User], T], group: Group = Group.DEFAULT
        ) -> T | Failed: ...

        def _forget(self) -> None: ...

    @rx.event
    def set_delete_open(self, is_open: bool):
        self.delete_open = is_open is True
        self.delete_error = ""

    @rx.event
    async def delete_my_account(self, form_data: dict):
        self.delete_error = ""
        password = form_text(form_data, "delete_password")
        deleted = await self._call_service(
            lambda session, user: delete_account(session, user, saved_id(user), password)
        )
        if isinstance(deleted, Failed):
            self.delete_error = deleted.message
            return deleted.unless_shown_inline()
        self.delete_open = False
        self.deleted_email = deleted.email
        self.deleted_lines = summary_lines(deleted)
        self._forget()  # the account is gone: this browser forgets its token too
        return None
