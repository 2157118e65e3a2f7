"""The Settings page: profile, password and appearance here; LLM, usage and plan, API tokens and
account deletion in their mixins (state/settings_*.py). One load reads everything the page shows."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from lumiere.core.usage import PlanView, UsageReport
from lumiere.db import saved_id
from lumiere.models import User
from lumiere.services import api_tokens
from lumiere.services.llm_keys import LlmSettingsView, llm_settings
from lumiere.services.plans import list_plans
from lumiere.services.usage import usage_report
from lumiere.services.users import update_user
from lumiere.state.arguments import form_text
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed
from lumiere.state.settings_account import AccountMixin
from lumiere.state.settings_llm import LlmSettingsMixin
from lumiere.state.settings_plan import PlanMixin
from lumiere.state.settings_tokens import TokensMixin, token_rows

# Content arrives after the page is drawn, so the browser's own jump to /settings#plan finds
# nothing yet: jump once the sections are there.
_SCROLL_TO_HASH = (
    "setTimeout(() => { const id = decodeURIComponent(window.location.hash.slice(1)); "
    "if (id) { document.getElementById(id)?.scrollIntoView(); } }, 150)"
)


@dataclass(frozen=True)
class SettingsSnapshot:
    llm: LlmSettingsView
    usage: UsageReport
    plans: list[PlanView]
    tokens: list[api_tokens.TokenInfo]


def settings_snapshot(session: Session, user: User) -> SettingsSnapshot:
    return SettingsSnapshot(
        llm=llm_settings(user),
        usage=usage_report(session, user),
        plans=list_plans(session),
        tokens=api_tokens.list_tokens(session, user),
    )


class SettingsState(LlmSettingsMixin, PlanMixin, TokensMixin, AccountMixin, AuthState):
    details_error: str = ""
    details_field: str = ""
    password_error: str = ""
    password_field: str = ""
    form_key: int = 0
    loaded: bool = False

    @rx.event
    async def load(self):
        self.new_token = self.new_token_name = ""
        self.deleted_lines, self.deleted_email = [], ""
        self.plan_error = self.token_error = self.llm_error = self.llm_test_detail = ""
        snapshot = await self._call_service(settings_snapshot)
        if isinstance(snapshot, Failed):
            return snapshot.event
        self._show_llm(snapshot.llm)
        self._show_usage(snapshot.usage, snapshot.plans)
        self.api_tokens = token_rows(snapshot.tokens)
        self.loaded = True
        return rx.call_script(_SCROLL_TO_HASH)

    @rx.event
    async def save_details(self, form_data: dict):
        self.details_error = self.details_field = ""
        name = form_text(form_data, "name")
        email = form_text(form_data, "email").strip()
        current_password = form_text(form_data, "current_password") or None
        saved = await self._call_service(
            lambda session, user: update_user(
                session,
                user,
                saved_id(user),
                name=name,
                email=email if email.lower() != user.email else None,
                current_password=current_password,
            )
        )
        if isinstance(saved, Failed):
            self.details_error = saved.message
            self.details_field = saved.field
            return saved.unless_shown_inline()
        self._remember(saved[0])
        self.form_key += 1
        return rx.toast.success("Profile saved.")

    @rx.event
    async def change_password(self, form_data: dict):
        self.password_error = self.password_field = ""
        new_password = form_text(form_data, "new_password")
        if new_password != form_text(form_data, "confirm_password"):
            self.password_error = "The two new passwords do not match."
            self.password_field = "confirm_password"
            return None
        current_password = form_text(form_data, "password_current")
        changed = await self._call_service(
            lambda session, user: update_user(
                session, user, saved_id(user), password=new_password, current_password=current_password
            )
        )
        if isinstance(changed, Failed):
            self.password_error = changed.message
            self.password_field = changed.field
            return changed.unless_shown_inline()
        updated, token = changed
        self._remember(updated)
        if token is not None:
            self.token = token.access_token
        self.form_key += 1
        return rx.toast.success("Password changed. Other sessions have been signed out.")
