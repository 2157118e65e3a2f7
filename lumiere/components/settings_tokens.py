"""Settings → API tokens: a name to create one, the new token once, the list with Revoke."""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import table_caption
from lumiere.components.forms import labelled_input
from lumiere.components.settings_parts import settings_section
from lumiere.state.settings import SettingsState
from lumiere.state.settings_tokens import TokenRow


def new_token_box() -> rx.Component:
    return rx.cond(
        SettingsState.new_token != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text(
                    "Copy your new token \u201c", SettingsState.new_token_name,
                    "\u201d now: it is not shown again. Keep it secret like a password.",
                    weight="medium",
                ),
                rx.hstack(
                    rx.code(
                        SettingsState.new_token,
                        size="2",
                        data_testid="new-api-token",
                        style={"word_break": "break-all"},
                    ),
                    rx.icon_button(
                        rx.icon("copy", size=16),
                        on_click=[rx.set_clipboard(SettingsState.new_token), rx.toast.info("Token copied.")],
                        variant="soft",
                        aria_label="Copy token",
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text("Use it as: Authorization: Bearer <token>", size="1", color_scheme="gray"),
                rx.button("I have copied it", size="1", variant="soft", on_click=SettingsState.dismiss_new_token),
                spacing="2",
                align="start",
            ),
            color_scheme="amber",
            role="status",
            width="100%",
        ),
        rx.fragment(),
    )


def token_row(row: rx.Var[TokenRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.name),
        rx.table.cell(rx.code(row.prefix)),
        rx.table.cell(row.created),
        rx.table.cell(row.last_used),
        rx.table.cell(
            rx.button(
                "Revoke",
                color_scheme="red",
                variant="soft",
                size="1",
                on_click=SettingsState.revoke_api_token(row.id),
                aria_label="Revoke " + row.name,
            )
        ),
    )


def tokens_table() -> rx.Component:
    return rx.cond(
        SettingsState.api_tokens.length() > 0,
        rx.table.root(
            table_caption("API tokens"),
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(text) for text in ("Name", "Token", "Created", "Last used", "")]
                )
            ),
            rx.table.body(rx.foreach(SettingsState.api_tokens, token_row)),
            width="100%",
            variant="surface",
        ),
        rx.text("No API tokens yet.", size="2", color_scheme="gray"),
    )


def tokens_section() -> rx.Component:
    return settings_section(
        "tokens",
        "API tokens",
        "Personal tokens let scripts use the REST API as you (see /api/docs). Revoke one and it stops working at once.",
        new_token_box(),
        rx.form(
            rx.hstack(
                rx.box(
                    labelled_input(
                        "Token name", "token_name", SettingsState.token_error, placeholder="nightly report"
                    ),
                    flex="1",
                    min_width="14rem",
                ),
                rx.button(rx.icon("plus", size=16), "Create token", type="submit", size="3"),
                align="end",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            on_submit=SettingsState.create_api_token,
            key=SettingsState.token_form_key.to_string() + "-token",
            width="100%",
        ),
        tokens_table(),
    )
