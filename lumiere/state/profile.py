"""The Profile page: the user's name, email and password (its on_load is AuthState.require_login)."""

import reflex as rx

from lumiere.db import saved_id
from lumiere.services.users import update_user
from lumiere.state.arguments import form_text
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed


class ProfileState(AuthState):
    details_error: str = ""
    details_field: str = ""
    password_error: str = ""
    password_field: str = ""
    form_key: int = 0

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
        current_password = form_text(form_data, "current_password")
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
