import reflex as rx

from lumiere.db import session_scope
from lumiere.services.errors import ServiceError
from lumiere.services.users import update_user
from lumiere.state.auth import AuthState


class ProfileState(AuthState):
    details_error: str = ""
    details_field: str = ""
    password_error: str = ""
    password_field: str = ""
    form_key: int = 0

    @rx.event
    def load(self):
        if self._authorized_user() is None:
            return self._login_redirect()
        return None

    @rx.event
    def save_details(self, form_data: dict):
        self.details_error = self.details_field = ""
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        email = str(form_data.get("email", "")).strip()
        try:
            with session_scope() as session:
                updated, _ = update_user(
                    session,
                    user,
                    user.id,
                    name=form_data.get("name", ""),
                    email=email if email.lower() != user.email else None,
                    current_password=form_data.get("current_password") or None,
                )
                self._remember(updated)
        except ServiceError as error:
            self.details_error = error.detail
            self.details_field = error.extra.get("field", "")
            return None
        self.form_key += 1
        return rx.toast.success("Profile saved.")

    @rx.event
    def change_password(self, form_data: dict):
        self.password_error = self.password_field = ""
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        new_password = str(form_data.get("new_password", ""))
        if new_password != str(form_data.get("confirm_password", "")):
            self.password_error = "The two new passwords do not match."
            self.password_field = "confirm_password"
            return None
        try:
            with session_scope() as session:
                updated, token = update_user(
                    session,
                    user,
                    user.id,
                    password=new_password,
                    current_password=form_data.get("current_password", ""),
                )
                self._remember(updated)
        except ServiceError as error:
            self.password_error = error.detail
            self.password_field = error.extra.get("field", "")
            return None
        if token is not None:
            self.token = token.access_token
        self.form_key += 1
        return rx.toast.success("Password changed. Other sessions have been signed out.")
