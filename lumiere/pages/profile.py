import reflex as rx

from lumiere.components.forms import labelled_input
from lumiere.components.layout import app_shell, page_header
from lumiere.state.profile import ProfileState


def field_error(field: str, state_field: rx.Var[str], message: rx.Var[str]) -> rx.Var[str]:
    return rx.cond(state_field == field, message, "")


def details_form() -> rx.Component:
    error, field = ProfileState.details_error, ProfileState.details_field
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Your details", size="4", as_="h2"),
                labelled_input(
                    "Name",
                    "name",
                    field_error("name", field, error),
                    default_value=ProfileState.user_name,
                    autocomplete="name",
                ),
                labelled_input(
                    "Email",
                    "email",
                    field_error("email", field, error),
                    input_type="email",
                    default_value=ProfileState.user_email,
                    autocomplete="email",
                ),
                labelled_input(
                    "Current password (only to change your email)",
                    "current_password",
                    field_error("current_password", field, error),
                    input_type="password",
                    autocomplete="current-password",
                    required=False,
                ),
                rx.cond((error != "") & (field == ""), rx.text(error, color_scheme="red", role="alert"), rx.fragment()),
                rx.button("Save details", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=ProfileState.save_details,
            key=ProfileState.form_key.to_string() + "-details",
        ),
        width="100%",
    )


def password_form() -> rx.Component:
    error, field = ProfileState.password_error, ProfileState.password_field
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Change password", size="4", as_="h2"),
                labelled_input(
                    "Current password",
                    "current_password",
                    field_error("current_password", field, error),
                    input_type="password",
                    autocomplete="current-password",
                ),
                labelled_input(
                    "New password",
                    "new_password",
                    field_error("password", field, error),
                    input_type="password",
                    autocomplete="new-password",
                ),
                labelled_input(
                    "Confirm new password",
                    "confirm_password",
                    field_error("confirm_password", field, error),
                    input_type="password",
                    autocomplete="new-password",
                ),
                rx.cond((error != "") & (field == ""), rx.text(error, color_scheme="red", role="alert"), rx.fragment()),
                rx.button("Change password", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=False,
            key=ProfileState.form_key.to_string() + "-password",
        ),
        width="100%",
    )


def profile_content() -> rx.Component:
    return rx.vstack(
        page_header("Profile", "Your name, email and password."),
        rx.grid(
            details_form(), password_form(), columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"
        ),
        rx.text("Role: ", ProfileState.user_role, " · Plan: ", ProfileState.user_plan, color_scheme="gray", size="2"),
        width="100%",
        spacing="4",
    )


def profile_page() -> rx.Component:
    return app_shell("Profile", profile_content)
