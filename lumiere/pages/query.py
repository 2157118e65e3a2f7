"""/query: ask a question about a source; see the SQL, the rows, a chart and an insight."""

from __future__ import annotations

from typing import Any

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import announcer, link_button
from lumiere.components.chart_viewer import chart_viewer
from lumiere.components.exploration_grid import exploration_grid
from lumiere.components.export_menu import export_menu
from lumiere.components.feedback import VIEWER_NO_DATA, empty_state, plans_link, skeleton_lines
from lumiere.components.forms import field_label, source_select
from lumiere.components.help_link import help_link
from lumiere.components.insight_panel import insight_panel
from lumiere.components.layout import app_shell, page_header
from lumiere.components.pin_button import pin_button
from lumiere.components.result_table import result_summary, result_table
from lumiere.components.schedule_dialog import schedule_button, schedule_dialog
from lumiere.components.share_dialog import share_button
from lumiere.components.sql_block import sql_block
from lumiere.state.query import QueryState

# Enter sends the question, Shift+Enter (or an IME composition) keeps the new line.
_SUBMIT_ON_ENTER: rx.Var[Any] = rx.Var(  # a JavaScript event handler
    "((event) => { if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) "
    "{ event.preventDefault(); event.currentTarget.form?.requestSubmit(); } })"
)


def source_picker() -> rx.Component:
    return rx.vstack(
        field_label("Data source", "source-picker"),
        source_select(
            "source-picker",
            QueryState.source_options,
            QueryState.selected_source,
            QueryState.choose_source,
            min_width="14rem",
        ),
        spacing="1",
        align="start",
    )


def suggestion_chips(items: rx.Var[list[str]], label: str, group_name: str) -> rx.Component:
    """`group_name` must not contain "question": only the question box is labelled that way."""
    return rx.cond(
        items.length() > 0,
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray", weight="medium"),
            rx.flex(
                rx.foreach(
                    items,
                    lambda text: rx.button(
                        rx.icon("sparkle", size=12),
                        text,
                        on_click=QueryState.ask_suggestion(text),
                        variant="surface",
                        size="1",
                        radius="full",
                        type="button",
                        style={"height": "auto", "white_space": "normal", "text_align": "left", "padding_y": "0.3rem"},
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
            aria_label=group_name,
            role="group",
        ),
        rx.fragment(),
    )


def ask_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.flex(
                    source_picker(),
                    rx.cond(
                        QueryState.can_add,
                        link_button(
                            rx.icon("plus", size=14), "Add data", variant="ghost", size="2", href=routes.DATA.path
                        ),
                        rx.fragment(),
                    ),
                    justify="between",
                    align="end",
                    width="100%",
                    wrap="wrap",
                    spacing="2",
                ),
                rx.vstack(
                    field_label("Question", "question-box"),
                    rx.text_area(
                        id="question-box",
                        name="question",
                        value=QueryState.question,
                        on_change=QueryState.set_question,
                        placeholder="e.g. Average life expectancy by continent in 2007",
                        rows="3",
                        resize="vertical",
                        width="100%",
                        max_length=1000,
                        aria_describedby="question-help",
                        custom_attrs={"onKeyDown": _SUBMIT_ON_ENTER},
                    ),
                    rx.text("Enter asks · Shift+Enter adds a line", id="question-help", size="1", color_scheme="gray"),
                    spacing="1",
                    width="100%",
                ),
                rx.hstack(
                    rx.button(
                        rx.icon("send-horizontal", size=16),
                        "Ask",
                        type="submit",
                        size="3",
                        loading=QueryState.asking,
                        disabled=~QueryState.can_ask,
                    ),
                    justify="end",
                    width="100%",
                ),
                suggestion_chips(QueryState.suggestions, "Suggested questions", "Suggestions"),
                spacing="3",
                width="100%",
            ),
            on_submit=QueryState.submit_question,
            reset_on_submit=False,
        ),
        width="100%",
    )


def waiting_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text("Working on it: writing the SQL and running it…", color_scheme="gray"),
                align="center",
            ),
            skeleton_lines(2, "2.5rem"),
            skeleton_lines(6),
            spacing="4",
            width="100%",
        ),
        width="100%",
        aria_live="polite",
        aria_busy="true",
    )


def error_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                QueryState.answer_question != "",
                rx.heading(QueryState.answer_question, size="4", as_="h2"),
                rx.fragment(),
            ),
            rx.cond(
                QueryState.refused,
                rx.callout.root(  # a question the engine could not place is not a failure: neutral, not red
                    rx.callout.icon(rx.icon("message-circle-question")),
                    rx.callout.text(QueryState.error_message),
                    color_scheme="gray",
                    variant="surface",
                    role="status",
                    width="100%",
                    id="refusal-callout",
                ),
                rx.callout.root(
                    rx.callout.icon(rx.icon("circle-alert")),
                    rx.callout.text(QueryState.error_message),
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            rx.cond(
                QueryState.error_hint != "",
                rx.text(rx.text.strong("What to try: "), QueryState.error_hint, size="2"),
                rx.fragment(),
            ),
            plans_link(QueryState.limit_reached),
            help_link("questions", "How to ask questions Lumiere understands"),
            suggestion_chips(QueryState.error_suggestions, "Questions that can be answered", "Answerable instead"),
            rx.cond(
                QueryState.failed_sql != "",
                rx.vstack(
                    sql_block(QueryState.failed_sql, "SQL that failed"),
                    edit_sql_button("2"),
                    spacing="2",
                    width="100%",
                    align="start",
                ),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
    )


def sql_editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                QueryState.correcting,
                rx.callout(
                    "Correct the SQL and run it: when it runs, it answers this question from now on "
                    "(and the same question with other values).",
                    icon="pencil",
                    size="1",
                    color_scheme="amber",
                    width="100%",
                ),
                rx.fragment(),
            ),
            field_label("SQL", "sql-editor"),
            rx.text_area(
                id="sql-editor",
                value=QueryState.sql_draft,
                on_change=QueryState.set_sql_draft,
                rows="8",
                width="100%",
                resize="vertical",
                spell_check=False,
                style={"font_family": "var(--code-font-family)", "font_size": "0.85rem"},
            ),
            rx.text(
                "Only one read-only SELECT on this source's tables runs; the same checks apply as for generated SQL.",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("play", size=14),
                    rx.cond(QueryState.correcting, "Run and save correction", "Run SQL"),
                    type="submit",
                    loading=QueryState.asking,
                ),
                rx.button(
                    "Cancel", on_click=QueryState.cancel_editing, variant="soft", color_scheme="gray", type="button"
                ),
                spacing="2",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=lambda _form: QueryState.run_edited_sql,
        reset_on_submit=False,
        width="100%",
    )


def edit_sql_button(size: str) -> rx.Component:
    """Shown until the SQL editor is open, under a failed query and beside a generated one."""
    return rx.cond(
        QueryState.editing_sql,
        rx.fragment(),
        rx.button(rx.icon("pencil", size=14), "Edit SQL", on_click=QueryState.start_editing, variant="soft", size=size),
    )


def sql_section() -> rx.Component:
    """The SQL comes last and folded (the answer is what a newcomer came for); it opens while being edited."""
    body = rx.vstack(
        rx.flex(
            rx.cond(
                QueryState.answer_explanation != "",
                rx.text(QueryState.answer_explanation, size="2", color_scheme="gray"),
                rx.box(),
            ),
            edit_sql_button("1"),
            justify="between",
            align="center",
            width="100%",
            spacing="2",
        ),
        rx.cond(QueryState.editing_sql, sql_editor(), sql_block(QueryState.answer_sql)),
        spacing="3",
        width="100%",
    )
    return rx.card(
        rx.cond(
            QueryState.editing_sql,
            rx.vstack(rx.heading("SQL", size="4", as_="h2"), body, spacing="3", width="100%"),
            rx.el.details(
                rx.el.summary(
                    rx.heading("Show the SQL", size="3", as_="h2", display="inline"),
                    id="sql-summary",
                    style={"cursor": "pointer"},
                ),
                rx.box(body, padding_top="0.75rem"),
                id="sql-details",
            ),
        ),
        width="100%",
    )


def _thumb(verdict: str, icon: str, label: str, color: str) -> rx.Component:
    given = QueryState.answer_feedback == verdict
    return rx.icon_button(
        rx.icon(icon, size=16),
        on_click=QueryState.give_feedback(verdict),
        variant=rx.cond(given, "solid", "soft"),
        color_scheme=rx.cond(given, color, "gray"),
        loading=QueryState.giving_feedback,
        size="2",
        type="button",
        aria_label=label,
        custom_attrs={"aria-pressed": rx.cond(given, "true", "false")},
        title=label,
    )


def feedback_bar() -> rx.Component:
    """Thumbs up teaches Lumiere this SQL for the question; thumbs down opens the SQL to correct it."""
    return rx.cond(
        (QueryState.answer_query_id > 0) & (QueryState.answer_question != ""),
        rx.hstack(
            rx.text("Was this answer right?", size="2", color_scheme="gray"),
            _thumb("up", "thumbs-up", "Mark this answer right", "green"),
            _thumb("down", "thumbs-down", "Mark this answer wrong", "red"),
            rx.match(
                QueryState.answer_feedback,
                ("up", rx.text("You marked this right: it will be reused for this question.", size="2",
                               color_scheme="green", id="feedback-state")),
                ("down", rx.text("You marked this wrong: correct the SQL to teach the right answer.", size="2",
                                 color_scheme="red", id="feedback-state")),
                rx.fragment(),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
            role="group",
            aria_label="Answer feedback",
        ),
        rx.fragment(),
    )


def answer_header() -> rx.Component:
    return rx.vstack(
        rx.heading(
            rx.cond(QueryState.answer_question != "", QueryState.answer_question, "Your SQL"), size="5", as_="h2"
        ),
        rx.hstack(
            rx.cond(
                QueryState.answer_source_name != "",
                rx.badge(rx.icon("database", size=12), QueryState.answer_source_name, variant="soft"),
                rx.fragment(),
            ),
            rx.cond(
                QueryState.answer_engine != "",
                rx.badge(QueryState.answer_engine, variant="outline", color_scheme="gray"),
                rx.fragment(),
            ),
            rx.cond(
                QueryState.answer_from_history != "",
                rx.badge(
                    rx.icon("history", size=12),
                    "From history · ",
                    QueryState.answer_from_history,
                    variant="soft",
                    color_scheme="gray",
                ),
                rx.fragment(),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.foreach(
            QueryState.answer_notes,
            lambda note: rx.callout(note, icon="info", size="1", color_scheme="blue", width="100%"),
        ),
        rx.flex(
            feedback_bar(),
            rx.cond(
                QueryState.answer_query_id > 0,
                rx.hstack(
                    pin_button(QueryState.answer_query_id, size="2"),
                    share_button(QueryState.answer_query_id, size="2"),
                    export_menu(QueryState.answer_query_id, size="2"),
                    schedule_button(QueryState.open_schedule_form(QueryState.answer_query_id)),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.fragment(),
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def answer_section() -> rx.Component:
    """The answer first (the number or the chart), then the insight, the rows, and the SQL folded."""
    return rx.vstack(
        answer_header(),
        exploration_grid(QueryState),
        rx.grid(
            chart_viewer(QueryState),
            insight_panel(QueryState),
            columns=rx.breakpoints(initial="1", lg="3fr 2fr"),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading("Results", size="4", as_="h2"),
                    result_summary(QueryState),
                    justify="between",
                    align="center",
                    width="100%",
                    wrap="wrap",
                    spacing="2",
                ),
                result_table(QueryState, "Query results"),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        sql_section(),
        spacing="4",
        width="100%",
    )


def no_sources() -> rx.Component:
    return rx.cond(
        QueryState.can_add,
        empty_state(
            "database-zap",
            "Add data to ask about",
            "Questions are answered from your own data. Upload a CSV file, load the sample dataset or connect a "
            "database.",
            link_button(rx.icon("upload", size=16), "Upload a CSV", href=routes.UPLOAD.path),
            link_button("Go to Data", variant="soft", href=routes.DATA.path),
        ),
        empty_state("database-zap", "No data to ask about yet", VIEWER_NO_DATA),
    )


def query_content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Ask your data", "Ask in plain language; you get the answer, a short insight, the rows and the SQL."
        ),
        rx.cond(
            QueryState.sources_loaded & (QueryState.source_options.length() == 0),
            no_sources(),
            ask_form(),
        ),
        rx.cond(
            QueryState.asking,
            waiting_card(),
            rx.cond(
                QueryState.error_message != "",
                rx.vstack(
                    error_card(),
                    rx.cond(QueryState.editing_sql, rx.card(sql_editor(), width="100%"), rx.fragment()),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(QueryState.has_answer, answer_section(), rx.fragment()),
            ),
        ),
        announcer(rx.cond(QueryState.has_answer, "Answer ready: " + QueryState.row_count_label + ".", "")),
        schedule_dialog(QueryState),
        spacing="4",
        width="100%",
    )


def query_page() -> rx.Component:
    return app_shell("Ask", query_content)
