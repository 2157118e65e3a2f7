"""/data: the user's sources, the sample dataset and the "Connect a database" form."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.feedback import VIEWER_NO_DATA, empty_state, skeleton_lines, table_caption
from lumiere.components.forms import field_label
from lumiere.components.layout import app_shell, page_header
from lumiere.state.data import DataState


def _field(
    label: str,
    name: str,
    *,
    input_type: str = "text",
    placeholder: str | rx.Var[str] = "",
    required: bool = True,
    autocomplete: str = "off",
    default_value: str | rx.Var[str] | None = None,
) -> rx.Component:
    field_id = f"connect-{name}"
    error_id = f"{field_id}-error"
    extra = {"default_value": default_value} if default_value is not None else {}
    error = DataState.connect_missing.contains(name) if required else False
    return rx.vstack(
        field_label(label, field_id),
        rx.input(
            id=field_id,
            name=name,
            type=input_type,
            placeholder=placeholder,
            required=required,
            auto_complete=autocomplete,
            width="100%",
            aria_describedby=error_id,
            aria_invalid=rx.cond(error, "true", "false"),
            **extra,
        ),
        rx.cond(
            error,
            rx.text(f"Enter the {label.lower()}.", id=error_id, color_scheme="red", size="2", role="alert"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def connect_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.vstack(
                field_label("Database type", "connect-kind"),
                rx.select.root(
                    rx.select.trigger(id="connect-kind", width="100%"),
                    rx.select.content(
                        rx.select.item("PostgreSQL", value="postgresql"),
                        rx.select.item("MySQL / MariaDB", value="mysql"),
                    ),
                    value=DataState.connect_kind,
                    on_change=DataState.set_connect_kind,
                ),
                spacing="1",
                width="100%",
                align="start",
            ),
            rx.grid(
                _field("Host", "host", placeholder="db.example.com"),
                rx.box(
                    _field("Port", "port", input_type="number", default_value=DataState.default_port),
                    key=DataState.connect_kind,
                ),
                _field("Database", "database"),
                _field("User", "user", autocomplete="username"),
                _field("Password", "password", input_type="password", required=False, autocomplete="new-password"),
                _field("Schema (optional)", "schema", required=False, placeholder="public"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            _field("Name for this source (optional)", "name", required=False, placeholder="Sales warehouse"),
            rx.text(
                "Lumiere only reads: every query runs in a read-only transaction with a time limit. "
                "The password is stored encrypted and never shown again.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                DataState.connect_error != "",
                rx.callout(
                    DataState.connect_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"
                ),
                rx.fragment(),
            ),
            rx.cond(
                DataState.connect_tables.length() > 0,
                rx.card(
                    rx.vstack(
                        rx.hstack(
                            rx.icon("circle-check", size=16, color=rx.color("green", 10)),
                            rx.text("Connected. Tables found:", weight="bold"),
                            align="center",
                        ),
                        rx.el.ul(
                            rx.foreach(DataState.connect_tables, rx.el.li),
                            style={"margin": "0", "padding_left": "1.25rem"},
                        ),
                        spacing="2",
                    ),
                    role="status",
                    width="100%",
                    background=rx.color("green", 2),
                ),
                rx.fragment(),
            ),
            rx.hstack(
                rx.button(
                    "Test connection",
                    type="submit",
                    variant="soft",
                    on_click=DataState.set_connect_intent("test"),
                    loading=DataState.connect_busy & (DataState.connect_intent == "test"),
                ),
                rx.button(
                    "Save connection",
                    type="submit",
                    on_click=DataState.set_connect_intent("save"),
                    loading=DataState.connect_busy & (DataState.connect_intent == "save"),
                ),
                spacing="3",
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=DataState.submit_connection,
        reset_on_submit=False,
        no_validate=True,  # our own field errors, which every browser and screen reader shows
        width="100%",
    )


def connect_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.flex(
                rx.dialog.title("Connect a database"),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close", title="Close")
                ),
                justify="between",
                align="start",
            ),
            rx.dialog.description(
                "Ask questions of a PostgreSQL or MySQL database you already have. Test it first to see its tables.",
                size="2",
                margin_bottom="1rem",
            ),
            connect_form(),
            max_width="36rem",
        ),
        open=DataState.connect_open,
        on_open_change=DataState.set_connect_open,
    )


def header_actions() -> rx.Component:
    """Shown once there is a source; an empty list offers the same actions in its empty state."""
    return rx.cond(
        (DataState.source_list.length() > 0) & DataState.can_add,
        rx.hstack(
            link_button(rx.icon("upload", size=16), "Upload CSV", href=routes.UPLOAD.path),
            rx.button(rx.icon("plug", size=16), "Connect a database", variant="soft", on_click=DataState.open_connect),
            rx.button(
                rx.icon("flask-conical", size=16),
                "Load sample dataset",
                variant="soft",
                on_click=DataState.load_sample,
                loading=DataState.sample_loading,
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.fragment(),
    )


def sources_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            table_caption("Your data sources"),
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in ("Name", "Kind", "Rows", "Columns", "Size", "Created")
                    ],
                ),
            ),
            rx.table.body(
                rx.foreach(
                    DataState.source_list,
                    lambda source: rx.table.row(
                        rx.table.row_header_cell(
                            rx.link(source.name, href=routes.source_url(source.id), weight="medium")
                        ),
                        rx.table.cell(rx.badge(source.kind, variant="soft")),
                        rx.table.cell(source.rows, text_align="right"),
                        rx.table.cell(source.columns, text_align="right"),
                        rx.table.cell(source.size, text_align="right"),
                        rx.table.cell(source.created, white_space="nowrap"),
                    ),
                ),
            ),
            variant="surface",
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
    )


def no_sources() -> rx.Component:
    """A viewer of the workspace cannot add to it: they are told who can instead of offered buttons."""
    return rx.cond(
        DataState.can_add,
        empty_state(
            "database-zap",
            "No data yet",
            "Upload a CSV file, try the sample dataset (world development indicators from Gapminder) "
            "or connect a PostgreSQL or MySQL database.",
            link_button(rx.icon("upload", size=16), "Upload a CSV", href=routes.UPLOAD.path),
            rx.button(
                rx.icon("flask-conical", size=16),
                "Load sample dataset",
                variant="soft",
                on_click=DataState.load_sample,
                loading=DataState.sample_loading,
            ),
            rx.button(rx.icon("plug", size=16), "Connect a database", variant="soft", on_click=DataState.open_connect),
        ),
        empty_state("database-zap", "No data yet", VIEWER_NO_DATA),
    )


def data_content() -> rx.Component:
    return rx.vstack(
        page_header("Data", "Files you uploaded and databases you connected.", header_actions()),
        rx.cond(
            DataState.loaded,
            rx.cond(DataState.source_list.length() > 0, sources_table(), no_sources()),
            skeleton_lines(5, "2rem"),
        ),
        connect_dialog(),
        spacing="4",
        width="100%",
    )


def data_page() -> rx.Component:
    return app_shell("Data", data_content)
