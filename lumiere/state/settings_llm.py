"""Settings → LLM: the user's own key (never shown again), base URL and model, and a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.models import User
from lumiere.services.llm_keys import (
    LlmSettingsView,
    check_llm_connection,
    clear_user_llm_key,
    llm_settings,
    update_llm_settings,
)
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import form_text
from lumiere.state.service_calls import Failed

T = TypeVar("T")


class LlmSettingsMixin(rx.State, mixin=True):
    llm_has_key: bool = False
    llm_base_url: str = ""
    llm_model: str = ""
    llm_error: str = ""
    llm_field: str = ""
    llm_testing: bool = False
    llm_test_ok: bool = False
    llm_test_detail: str = ""
    llm_form_key: int = 0

    if TYPE_CHECKING:

        async def _call_service(
            self, work: Callable[[Session, User], T], group: Group = Group.DEFAULT
        ) -> T | Failed: ...

    def _show_llm(self, view: LlmSettingsView) -> None:
        self.llm_has_key = view.has_key
        self.llm_base_url = view.base_url or ""
        self.llm_model = view.model or ""
        self.llm_form_key += 1  # the form shows the stored values again, and an empty key field

    @rx.event
    async def save_llm(self, form_data: dict):
        """A blank key keeps the stored one; a blank base URL or model goes back to the server's."""
        self.llm_error = self.llm_field = self.llm_test_detail = ""
        api_key = form_text(form_data, "api_key") or None
        base_url = form_text(form_data, "base_url")
        model = form_text(form_data, "model")
        saved = await self._call_service(
            lambda session, user: update_llm_settings(session, user, api_key=api_key, base_url=base_url, model=model)
        )
        if isinstance(saved, Failed):
            self.llm_error, self.llm_field = saved.message, saved.field
            return saved.unless_shown_inline()
        self._show_llm(saved)
        return rx.toast.success("LLM settings saved.")

    @rx.event
    async def check_llm(self):
        """One tiny real request with the saved settings (up to ~10 s)."""
        self.llm_testing, self.llm_test_detail, self.llm_error, self.llm_field = True, "", "", ""
        yield
        checked = await self._call_service(check_llm_connection)
        self.llm_testing = False
        if isinstance(checked, Failed):
            self.llm_test_ok, self.llm_test_detail = False, checked.message
            if checked.signed_out:
                yield checked.event
            return
        self.llm_test_ok, self.llm_test_detail = checked.ok, checked.detail

    @rx.event
    async def remove_llm_key(self):
        def clear(session: Session, user: User) -> LlmSettingsView:
            clear_user_llm_key(session, user)
            return llm_settings(user)

        cleared = await self._call_service(clear)
        if isinstance(cleared, Failed):
            return cleared.event
        self.llm_test_detail = self.llm_error = self.llm_field = ""
        self._show_llm(cleared)
        return rx.toast.success("Your key is removed; questions use the server's LLM again.")
