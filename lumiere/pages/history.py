"""/history: every question asked, with search, filters, re-run and delete."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.export_menu import export_menu
from lumiere.components.feedback import confirm_dialog, empty_state, error_callout, page_arrow
from lumiere.components.forms import field_label
from lumiere.components.layout import app_shell, page_header
from lumiere.components.pin_button import pin_button
from lumiere.components.schedule_dialog import schedule_button, schedule_dialog
from lumiere.components.share_dialog import share_button
from lumiere.state.history import ANY, HistoryRow, HistoryState


def filters() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                field_label("Search questions and SQL", "history-search", font_size="0.8rem"),
                rx.input(
                    rx.input.slot(rx.icon("search", size=14)),
                    id="history-search",
                    value=HistoryState.search,
                    on_change=HistoryState.set_search.debounce(300),
                    placeholder="e.g. revenue",
                    type="search",
                    width="100%",
                    max_length=200,
                ),
                spacing="1",
                flex="2",
                min_width="14rem",
            ),
            rx.vstack(
                field_label("Source", "history-source", font_size="0.8rem"),
                rx.select.root(
                    rx.select.trigger(id="history-source", min_width="10rem"),
                    rx.select.content(
                        rx.select.item("All sources", value=ANY),
                        rx.foreach(
                            HistoryState.filter_sources,
                            lambda source: rx.select.item(source.name, value=source.id),
                        ),
                    ),
                    value=HistoryState.source_filter,
                    on_change=HistoryState.set_source_filter,
                ),
                spacing="1",
            ),
            rx.vstack(
                field_label("Status", "history-status", font_size="0.8rem"),
                rx.select.root(
                    rx.select.trigger(id="history-status", min_width="8rem"),
                    rx.select.content(
                        rx.select.item("Any status", value=ANY),
                        rx.select.item("Succeeded", value="ok"),
                        rx.select.item("Failed", value="error"),
                        rx.select.item("Refused", value="refused"),
                    ),
                    value=HistoryState.status_filter,
                    on_change=HistoryState.set_status_filter,
                ),
                spacing="1",
            ),
            rx.vstack(
                field_label("From", "history-from", font_size="0.8rem"),
                rx.input(
                    id="history-from", type="date", value=HistoryState.date_from, on_change=HistoryState.set_date_from
                ),
                spacing="1",
            ),
            rx.vstack(
                field_label("To", "history-to", font_size="0.8rem"),
                rx.input(id="history-to", type="date", value=HistoryState.date_to, on_change=HistoryState.set_date_to),
                spacing="1",
            ),
            rx.cond(
                HistoryState.filtered,
                rx.button("Clear filters", on_click=HistoryState.clear_filters, variant="ghost", size="2"),
                rx.fragment(),
            ),
            spacing="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        width="100%",
    )


def _status_badge(item: rx.Var[HistoryRow]) -> rx.Component:
    return rx.match(
        item.status,
        ("ok", rx.badge(item.status_label, color_scheme="green", variant="soft")),
        ("refused", rx.badge(rx.icon("shield-x", size=12), item.status_label, color_scheme="orange", variant="soft")),
        rx.badge(rx.icon("circle-x", size=12), item.status_label, color_scheme="red", variant="soft"),
    )


def history_item(item: rx.Var[HistoryRow]) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(item.question, href=routes.query_url(item.id), weight="medium", size="3"),
                rx.cond(
                    item.sql != "",
                    rx.code(
                        item.sql,
                        variant="ghost",
                        size="1",
                        color_scheme="gray",
                        style={"white_space": "normal", "word_break": "break-word"},
                    ),
                    rx.fragment(),
                ),
                rx.hstack(
                    _status_badge(item),
                    rx.cond(
                        item.source_gone != "",
                        rx.badge(
                            rx.icon("database", size=12),
                            item.source_name,
                            " (source deleted)",
                            color_scheme="gray",
                            variant="outline",
                        ),
                        rx.badge(rx.icon("database", size=12), item.source_name, variant="soft"),
                    ),
                    rx.cond(
                        item.origin != "",
                        rx.badge(item.origin, variant="outline", color_scheme="gray"),
                        rx.fragment(),
                    ),
                    rx.cond(item.rows != "", rx.text(item.rows, size="1", color_scheme="gray"), rx.fragment()),
                    rx.cond(item.duration != "", rx.text(item.duration, size="1", color_scheme="gray"), rx.fragment()),
                    rx.text(item.created, size="1", color_scheme="gray"),
                    rx.cond(
                        item.asked_by != "",
                        rx.text("asked by ", item.asked_by, size="1", color_scheme="gray"),
                        rx.fragment(),
                    ),
                    spacing="2",
                    wrap="wrap",
                    align="center",
                ),
                rx.cond(
                    item.source_gone != "",
                    rx.text(
                        "The data source of this entry was deleted; its question and SQL are kept.",
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.fragment(),
                ),
                rx.cond(item.error != "", rx.text(item.error, size="1", color_scheme="red"), rx.fragment()),
                spacing="2",
                align="start",
                flex="1",
                min_width="0",
            ),
            rx.hstack(
                pin_button(item.id, disabled=(item.status != "ok") | (item.source_gone != "")),
                share_button(item.id, disabled=(item.status != "ok") | (item.source_gone != "")),
                export_menu(item.id, disabled=(item.status != "ok") | (item.source_gone != "")),
                rx.button(
                    rx.icon("rotate-cw", size=14),
                    "Re-run",
                    on_click=HistoryState.rerun(item.id),
                    variant="soft",
                    size="1",
                    disabled=item.source_gone != "",  # failed entries too: that is where a re-run is needed
                    aria_label="Re-run: " + item.question.to(str),
                    title="Run it again on today's data (a question without SQL is asked again)",
                ),
                rx.cond(
                    (item.sql != "") & (item.source_gone == ""),
                    rx.button(
                        rx.icon("pencil", size=14),
                        "Edit SQL",
                        on_click=HistoryState.edit(item.id),
                        variant="soft",
                        size="1",
                        aria_label="Edit the SQL: " + item.question.to(str),
                    ),
                    rx.fragment(),
                ),
                schedule_button(
                    HistoryState.open_schedule_form(item.id),
                    size="1",
                    label="Schedule: " + item.question.to(str),
                    disabled=(item.status != "ok") | (item.source_gone != ""),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    on_click=HistoryState.ask_delete(item.id, item.question),
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    aria_label="Delete: " + item.question.to(str),
                    title="Delete: " + item.question.to(str),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            justify="between",
            align="start",
            width="100%",
            # Below desktop width the actions go under the question instead of squeezing it.
            direction=rx.breakpoints(initial="column", md="row"),
        ),
        width="100%",
        role="listitem",
    )


def pager() -> rx.Component:
    return rx.flex(
        rx.text(HistoryState.total_label, size="2", color_scheme="gray"),
        rx.hstack(
            page_arrow("left", HistoryState.go_to_page(HistoryState.page - 1), HistoryState.page <= 1, "Previous page"),
            rx.text(HistoryState.page, " / ", HistoryState.page_count, size="2"),
            page_arrow(
                "right",
                HistoryState.go_to_page(HistoryState.page + 1),
                HistoryState.page >= HistoryState.page_count,
                "Next page",
            ),
            spacing="2",
            align="center",
        ),
        justify="between",
        align="center",
        width="100%",
    )


def history_list() -> rx.Component:
    return rx.cond(
        HistoryState.items.length() > 0,
        rx.vstack(
            rx.vstack(
                rx.foreach(HistoryState.items, history_item),
                spacing="2",
                width="100%",
                role="list",
                aria_label="History",
            ),
            pager(),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            HistoryState.filtered,
            empty_state(
                "search-x",
                "Nothing matches",
                "No entry matches these filters.",
                rx.button("Clear filters", on_click=HistoryState.clear_filters, variant="soft"),
            ),
            empty_state(
                "history",
                "No questions yet",
                "Questions you ask appear here, with their SQL and results.",
                link_button("Ask a question", href=routes.QUERY.path),
            ),
        ),
    )


def history_content() -> rx.Component:
    return rx.vstack(
        page_header("History", "Every question, SQL edit and re-run, newest first."),
        filters(),
        error_callout(HistoryState.filter_error, "Check the filters"),
        rx.cond(HistoryState.loaded, history_list(), rx.fragment()),
        confirm_dialog(
            open_=HistoryState.confirming_delete,
            title="Delete this history entry?",
            description="'"
            + HistoryState.pending_delete_question
            + "' will be removed from your history, with its insights.",
            confirm_label="Delete entry",
            on_confirm=HistoryState.confirm_delete,
            on_cancel=HistoryState.cancel_delete,
        ),
        schedule_dialog(HistoryState),
        spacing="4",
        width="100%",
    )


def history_page() -> rx.Component:
    return app_shell("History", history_content)
