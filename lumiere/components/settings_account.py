"""Settings → Delete account (a dialog that asks for the password), and what was deleted after."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.forms import labelled_input
from lumiere.components.settings_parts import settings_section
from lumiere.state.settings import SettingsState


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete your account?"),
            rx.alert_dialog.description(
                "Your data sources, dataset files, database connections, history, insights, chats and API tokens "
                "are deleted for good. This cannot be undone.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    labelled_input(
                        "Your password",
                        "delete_password",
                        SettingsState.delete_error,
                        input_type="password",
                        autocomplete="current-password",
                    ),
                    rx.flex(
                        rx.alert_dialog.cancel(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Delete my account", type="submit", color_scheme="red"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                    margin_top="1rem",
                ),
                on_submit=SettingsState.delete_my_account,
                reset_on_submit=True,
            ),
        ),
        open=SettingsState.delete_open,
        on_open_change=SettingsState.set_delete_open,
    )


def delete_section() -> rx.Component:
    return settings_section(
        "delete",
        "Delete account",
        "Deletes your account and everything it owns. You will be signed out.",
        rx.button(
            rx.icon("trash-2", size=16),
            "Delete account…",
            color_scheme="red",
            variant="soft",
            on_click=SettingsState.set_delete_open(True),
        ),
        delete_dialog(),
    )


def deleted_screen() -> rx.Component:
    """Shown once the account is gone: there is no session left to show anything else."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon("circle-check", size=40, color=rx.color("grass", 9)),
                rx.heading("Your account has been deleted", size="6", as_="h1"),
                rx.text("The account ", rx.text.strong(SettingsState.deleted_email), " and with it:"),
                rx.el.ul(
                    rx.foreach(SettingsState.deleted_lines, lambda line: rx.el.li(rx.text(line))),
                    aria_label="What was deleted",
                    style={"padding_left": "1.2rem", "margin": "0"},
                ),
                rx.text("You have been signed out.", color_scheme="gray"),
                link_button("Go to sign in", href=routes.LOGIN.path),
                spacing="3",
                align="start",
            ),
            max_width="34rem",
            width="100%",
        ),
        min_height="100vh",
        padding="1rem",
    )
