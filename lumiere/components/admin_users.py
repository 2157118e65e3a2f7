"""The admin console's users table: search, sortable headers, pages, and per-row plan, role and
disable/enable controls (a refusal such as "the last administrator" shows above the table)."""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import confirm_dialog, error_callout, page_arrow, table_caption
from lumiere.components.forms import field_label
from lumiere.state.admin import AdminState
from lumiere.state.admin_users import UserRow

NUMERIC = {"text_align": "right", "white_space": "nowrap"}


def _sort_header(label: str, column: str, **style: str) -> rx.Component:
    here = AdminState.users_sort_column == column
    return rx.table.column_header_cell(
        rx.el.button(
            rx.hstack(
                rx.text(label, weight="bold", size="2"),
                rx.cond(
                    here,
                    rx.cond(AdminState.users_sort_descending, rx.icon("arrow-down", size=14),
                            rx.icon("arrow-up", size=14)),
                    rx.icon("arrow-up-down", size=14, opacity="0.35"),
                ),
                spacing="1",
                align="center",
            ),
            on_click=AdminState.sort_users(column),
            type="button",
            title=f"Sort by {label.lower()}",
            style={"background": "none", "border": "none", "cursor": "pointer", "color": "inherit", "padding": "0"},
        ),
        aria_sort=rx.cond(here, rx.cond(AdminState.users_sort_descending, "descending", "ascending"), "none"),
        **style,
    )


def _plain_header(label: str, **style: str) -> rx.Component:
    return rx.table.column_header_cell(label, **style)


def _row(user: rx.Var[UserRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(user.email, weight="medium", size="2"),
                rx.text(user.name, size="1", color_scheme="gray"),
                spacing="0",
            ),
            max_width="18rem",
            overflow="hidden",
            text_overflow="ellipsis",
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(aria_label="Role of " + user.email.to(str), min_width="6rem"),
                rx.select.content(rx.select.item("User", value="user"), rx.select.item("Admin", value="admin")),
                value=user.role,
                on_change=lambda role: AdminState.change_role(user.id, role),
                size="1",
            ),
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(aria_label="Plan of " + user.email.to(str), min_width="6rem"),
                rx.select.content(rx.foreach(AdminState.plan_names, lambda name: rx.select.item(name, value=name))),
                value=user.plan,
                on_change=lambda plan: AdminState.change_plan(user.id, plan),
                size="1",
            ),
        ),
        rx.table.cell(user.queries, **NUMERIC),
        rx.table.cell(user.sources, **NUMERIC),
        rx.table.cell(user.storage, **NUMERIC),
        rx.table.cell(user.llm, **NUMERIC),
        rx.table.cell(user.created, white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                user.disabled,
                rx.hstack(
                    rx.badge("Disabled", color_scheme="red"),
                    rx.button("Enable", on_click=AdminState.enable_user(user.id), size="1", variant="soft",
                              aria_label="Enable " + user.email.to(str)),
                    spacing="2",
                    align="center",
                ),
                rx.hstack(
                    rx.badge("Active", color_scheme="green"),
                    rx.button("Disable", on_click=AdminState.ask_disable(user.id, user.email), size="1",
                              variant="soft", color_scheme="red", aria_label="Disable " + user.email.to(str)),
                    spacing="2",
                    align="center",
                ),
            ),
            white_space="nowrap",
        ),
        aria_label=user.email,
    )


def _pager() -> rx.Component:
    return rx.flex(
        rx.text(AdminState.users_total.to_string() + " users", size="2", color_scheme="gray"),
        rx.hstack(
            page_arrow("left", AdminState.go_to_users_page(AdminState.users_page - 1), AdminState.users_page <= 1,
                       "Previous page of users"),
            rx.text(AdminState.users_page, " / ", AdminState.users_page_count, size="2", aria_live="polite"),
            page_arrow("right", AdminState.go_to_users_page(AdminState.users_page + 1),
                       AdminState.users_page >= AdminState.users_page_count, "Next page of users"),
            spacing="2",
            align="center",
        ),
        justify="between",
        align="center",
        width="100%",
    )


def users_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading("Users", size="4", as_="h2"),
                rx.vstack(
                    field_label("Search users", "admin-user-search", font_size="0.8rem"),
                    rx.input(
                        rx.input.slot(rx.icon("search", size=14)),
                        id="admin-user-search",
                        value=AdminState.users_search,
                        on_change=AdminState.set_users_search.debounce(300),
                        placeholder="email or name",
                        type="search",
                        max_length=200,
                        min_width="16rem",
                    ),
                    spacing="1",
                ),
                justify="between",
                align="end",
                wrap="wrap",
                spacing="3",
                width="100%",
            ),
            error_callout(AdminState.users_error, "That change was not made"),
            rx.box(
                rx.table.root(
                    table_caption("Users"),
                    rx.table.header(
                        rx.table.row(
                            _sort_header("Email", "email"),
                            _plain_header("Role"),
                            _sort_header("Plan", "plan"),
                            _sort_header("Queries", "queries", **NUMERIC),
                            _plain_header("Sources", **NUMERIC),
                            _plain_header("Storage", **NUMERIC),
                            _plain_header("LLM", **NUMERIC),
                            _sort_header("Joined", "created_at", white_space="nowrap"),
                            _plain_header("Status"),
                        )
                    ),
                    rx.table.body(rx.foreach(AdminState.users, _row)),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text("Queries and LLM cost are this month's; sources and storage what each user holds now.",
                    size="1", color_scheme="gray"),
            _pager(),
            confirm_dialog(
                open_=AdminState.confirming_disable,
                title="Disable this account?",
                description=AdminState.pending_disable_email
                + " will be signed out everywhere at once and cannot sign in until an administrator enables the "
                "account again. Their data is kept.",
                confirm_label="Disable account",
                on_confirm=AdminState.confirm_disable,
                on_cancel=AdminState.cancel_disable,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
