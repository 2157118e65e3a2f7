"""/settings: profile, password, appearance, LLM, usage, plan, API tokens, deleting the account.

Each section is a card with an anchor id (/settings#plan links to the plans, as a 402 message
does). /profile, the page's old address, sends visitors here.
"""

from __future__ import annotations

import reflex as rx

from lumiere.components.forms import labelled_input
from lumiere.components.layout import app_shell, loading_screen, page_header
from lumiere.components.settings_account import delete_section, deleted_screen
from lumiere.components.settings_llm import llm_section
from lumiere.components.settings_parts import field_error, form_level_error, settings_section
from lumiere.components.settings_plan import plan_section, usage_section
from lumiere.components.settings_shares import shares_section
from lumiere.components.settings_tokens import tokens_section
from lumiere.core.enums import Theme
from lumiere.state.auth import AuthState
from lumiere.state.settings import SettingsState

SECTIONS = (
    ("profile", "Profile"),
    ("password", "Password"),
    ("appearance", "Appearance"),
    ("llm", "LLM"),
    ("usage", "Usage"),
    ("plan", "Plan"),
    ("tokens", "API tokens"),
    ("shares", "Shared links"),
    ("delete", "Delete account"),
)
THEME_LABELS = {Theme.LIGHT: "Light", Theme.DARK: "Dark", Theme.SYSTEM: "Same as the system"}


def section_links() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            *[rx.link(label, href=f"#{anchor}", size="2") for anchor, label in SECTIONS],
            spacing="4",
            wrap="wrap",
        ),
        aria_label="Settings sections",
        width="100%",
    )


def profile_section() -> rx.Component:
    error, field = SettingsState.details_error, SettingsState.details_field
    return settings_section(
        "profile",
        "Profile",
        "Your name and email. Role: " + SettingsState.user_role + " · Plan: " + SettingsState.user_plan,
        rx.form(
            rx.vstack(
                labelled_input(
                    "Name", "name", field_error("name", field, error), default_value=SettingsState.user_name,
                    autocomplete="name",
                ),
                labelled_input(
                    "Email", "email", field_error("email", field, error), input_type="email",
                    default_value=SettingsState.user_email, autocomplete="email",
                ),
                labelled_input(
                    "Current password (only to change your email)", "current_password",
                    field_error("current_password", field, error), input_type="password",
                    autocomplete="current-password", required=False,
                ),
                form_level_error(error, field),
                rx.button("Save details", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=SettingsState.save_details,
            key=SettingsState.form_key.to_string() + "-details",
            width="100%",
        ),
    )


def password_section() -> rx.Component:
    error, field = SettingsState.password_error, SettingsState.password_field
    return settings_section(
        "password",
        "Password",
        "A new password signs out your other sessions.",
        rx.form(
            rx.vstack(
                labelled_input(
                    "Current password", "password_current", field_error("current_password", field, error),
                    input_type="password", autocomplete="current-password",
                ),
                labelled_input(
                    "New password", "new_password", field_error("password", field, error),
                    input_type="password", autocomplete="new-password",
                ),
                labelled_input(
                    "Confirm new password", "confirm_password", field_error("confirm_password", field, error),
                    input_type="password", autocomplete="new-password",
                ),
                form_level_error(error, field),
                rx.button("Change password", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=SettingsState.change_password,
            reset_on_submit=False,
            key=SettingsState.form_key.to_string() + "-password",
            width="100%",
        ),
    )


def appearance_section() -> rx.Component:
    return settings_section(
        "appearance",
        "Appearance",
        "Stored with your account, so every browser you sign in on looks the same.",
        rx.radio_group.root(
            rx.hstack(
                *[
                    rx.el.label(
                        rx.hstack(rx.radio_group.item(value=theme.value), rx.text(label), spacing="2", align="center"),
                    )
                    for theme, label in THEME_LABELS.items()
                ],
                spacing="5",
                wrap="wrap",
            ),
            value=AuthState.user_theme,
            on_change=AuthState.save_theme,
            aria_label="Appearance",
        ),
    )


def settings_content() -> rx.Component:
    return rx.vstack(
        page_header("Settings", "Your account, appearance, LLM, usage, plan and API tokens."),
        section_links(),
        rx.grid(profile_section(), password_section(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                width="100%"),
        appearance_section(),
        llm_section(),
        usage_section(),
        plan_section(),
        tokens_section(),
        shares_section(),
        delete_section(),
        width="100%",
        spacing="4",
    )


def settings_page() -> rx.Component:
    return rx.cond(SettingsState.deleted_lines.length() > 0, deleted_screen(), app_shell("Settings", settings_content))


def profile_moved_page() -> rx.Component:
    """/profile: shown for the moment it takes to send the visitor on to /settings."""
    return loading_screen()
