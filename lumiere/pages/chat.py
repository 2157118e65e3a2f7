"""/chat: conversations about a source; follow-ups refine the previous answer."""

from __future__ import annotations

from typing import Any

import reflex as rx

from lumiere import routes
from lumiere.components.chart_viewer import chart_viewer
from lumiere.components.export_menu import export_menu
from lumiere.components.feedback import confirm_dialog, error_callout
from lumiere.components.forms import field_label, source_select
from lumiere.components.insight_panel import insight_panel
from lumiere.components.layout import app_shell
from lumiere.components.result_table import result_summary, result_table
from lumiere.components.schedule_dialog import schedule_button, schedule_dialog
from lumiere.components.share_dialog import share_button
from lumiere.components.sql_block import sql_block
from lumiere.core.limits import MAX_CHAT_MESSAGE_CHARS, MAX_CHAT_TITLE_CHARS
from lumiere.state.chat import Bubble, ChatState, ConversationRow

# Enter sends, Shift+Enter (or an IME composition) keeps the new line.
_SEND_ON_ENTER: rx.Var[Any] = rx.Var(  # a JavaScript event handler
    "((event) => { if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) "
    "{ event.preventDefault(); event.currentTarget.form?.requestSubmit(); } })"
)


def _rename_form(row: rx.Var[ConversationRow]) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="title",
                default_value=ChatState.rename_draft,
                aria_label="Conversation title",
                max_length=MAX_CHAT_TITLE_CHARS,
                size="1",
                flex="1",
                auto_focus=True,
            ),
            rx.icon_button(rx.icon("check", size=14), type="submit", size="1", aria_label="Save title"),
            rx.icon_button(
                rx.icon("x", size=14), type="button", size="1", variant="soft", color_scheme="gray",
                on_click=ChatState.cancel_rename, aria_label="Cancel renaming",
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=ChatState.submit_rename,
        reset_on_submit=False,
        width="100%",
    )


def _conversation(row: rx.Var[ConversationRow]) -> rx.Component:
    active = ChatState.session_id == row.id
    return rx.box(
        rx.cond(
            ChatState.renaming_id == row.id,
            _rename_form(row),
            rx.hstack(
                rx.el.button(
                    rx.vstack(
                        rx.text(row.title, size="2", weight="medium", trim="both",
                                style={"overflow_wrap": "anywhere"}),
                        rx.text(row.source_name, " · ", row.updated, size="1", color_scheme="gray"),
                        spacing="1",
                        align="start",
                    ),
                    on_click=ChatState.open_conversation(row.id),
                    type="button",
                    aria_current=rx.cond(active, "page", "false"),
                    style={"background": "none", "border": "none", "cursor": "pointer", "color": "inherit",
                           "text_align": "left", "padding": "0", "flex": "1", "min_width": "0"},
                ),
                rx.icon_button(
                    rx.icon("pencil", size=12), size="1", variant="ghost",
                    on_click=ChatState.start_rename(row.id, row.title), aria_label="Rename: " + row.title.to(str),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=12), size="1", variant="ghost", color_scheme="red",
                    on_click=ChatState.ask_delete(row.id), aria_label="Delete: " + row.title.to(str),
                ),
                align="center",
                spacing="1",
                width="100%",
            ),
        ),
        padding="0.5rem",
        border_radius="var(--radius-3)",
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        width="100%",
        role="listitem",
    )


def conversation_list() -> rx.Component:
    return rx.vstack(
        rx.button(rx.icon("plus", size=14), "New chat", on_click=ChatState.new_chat, width="100%"),
        rx.input(
            placeholder="Search conversations",
            aria_label="Search conversations",
            value=ChatState.search,
            on_change=ChatState.set_search,
            size="2",
            width="100%",
        ),
        rx.vstack(
            rx.foreach(ChatState.shown_conversations, _conversation),
            rx.cond(
                ChatState.shown_conversations.length() == 0,
                rx.text("No conversations yet.", size="2", color_scheme="gray"),
                rx.fragment(),
            ),
            spacing="1",
            width="100%",
            role="list",
            aria_label="Conversations",
            max_height=["14rem", "14rem", "70vh"],
            overflow_y="auto",
        ),
        spacing="3",
        width=["100%", "100%", "17rem"],
        min_width=["0", "0", "17rem"],
        padding_right=["0", "0", "1rem"],
        border_right=["none", "none", f"1px solid {rx.color('gray', 5)}"],
    )


def _user_bubble(text: rx.Var[str] | str) -> rx.Component:
    return rx.flex(
        rx.box(
            rx.text(text, size="2", white_space="pre-wrap", style={"overflow_wrap": "anywhere"}),
            background=rx.color("accent", 4),
            padding="0.6rem 0.9rem",
            border_radius="1rem 1rem 0.25rem 1rem",
            max_width=["90%", "80%", "75%"],
        ),
        justify="end",
        width="100%",
        class_name="chat-user",
    )


def _answer_details(item: rx.Var[Bubble]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(rx.icon("rows-3", size=12), item.summary, variant="soft"),
            rx.link("Edit in Ask", href=routes.query_url(item.query_id), size="1"),
            rx.cond(
                item.query_id > 0,
                rx.hstack(
                    share_button(item.query_id),
                    export_menu(item.query_id),
                    schedule_button(ChatState.open_schedule_form(item.query_id), size="1"),
                    spacing="2",
                ),
                rx.fragment(),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.el.details(
            rx.el.summary("SQL", style={"cursor": "pointer", "font_size": "0.85rem"}),
            sql_block(item.sql),
            width="100%",
        ),
        rx.cond(
            ChatState.focused_id == item.id,
            rx.vstack(
                result_summary(ChatState),
                result_table(ChatState, "Answer rows"),
                chart_viewer(ChatState),
                insight_panel(ChatState),
                spacing="3",
                width="100%",
            ),
            rx.button(
                rx.icon("table", size=14), "Show table and chart", size="1", variant="soft",
                on_click=ChatState.focus_answer(item.id),
            ),
        ),
        rx.cond(
            item.suggestions.length() > 0,
            rx.hstack(
                rx.foreach(
                    item.suggestions,
                    lambda text: rx.button(text, size="1", variant="outline", radius="full",
                                           on_click=ChatState.use_suggestion(text)),
                ),
                spacing="2",
                wrap="wrap",
                aria_label="Suggested follow-ups",
            ),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
    )


def _assistant_bubble(item: rx.Var[Bubble]) -> rx.Component:
    return rx.flex(
        rx.box(
            rx.vstack(
                rx.text(item.text, size="2", white_space="pre-wrap", style={"overflow_wrap": "anywhere"}),
                rx.cond(item.has_result, _answer_details(item), rx.fragment()),
                spacing="2",
                width="100%",
            ),
            background=rx.color("gray", 3),
            padding="0.6rem 0.9rem",
            border_radius="1rem 1rem 1rem 0.25rem",
            width=rx.cond(item.has_result, "100%", "auto"),
            max_width="100%",
            min_width="0",
        ),
        justify="start",
        width="100%",
        class_name="chat-assistant",
    )


def _message(item: rx.Var[Bubble]) -> rx.Component:
    return rx.cond(item.role == "user", _user_bubble(item.text), _assistant_bubble(item))


def _typing() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.spinner(size="1"),
            rx.cond(
                ChatState.streamed != "",
                rx.text(ChatState.streamed, size="2", white_space="pre-wrap", class_name="chat-streamed"),
                rx.text("Working on it…", size="2", color_scheme="gray"),
            ),
            background=rx.color("gray", 3),
            padding="0.6rem 0.9rem",
            border_radius="1rem",
            align="center",
            spacing="2",
        ),
        width="100%",
        role="status",
        aria_label="The assistant is working",
        class_name="chat-typing",
    )


def _source_picker() -> rx.Component:
    return rx.hstack(
        field_label("Data source", "chat-source"),
        source_select(
            "chat-source", ChatState.source_options, ChatState.new_source, ChatState.choose_source, min_width="12rem"
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            field_label("Message", "chat-message"),
            rx.text_area(
                id="chat-message",
                name="message",
                value=ChatState.draft,
                on_change=ChatState.set_draft,
                placeholder="Ask about your data, then follow up: “only for 2007”, “as a line chart”, “top 3”",
                rows="2",
                resize="vertical",
                width="100%",
                max_length=MAX_CHAT_MESSAGE_CHARS,
                aria_describedby="chat-help",
                custom_attrs={"onKeyDown": _SEND_ON_ENTER},
            ),
            rx.flex(
                rx.text("Enter sends · Shift+Enter adds a line", id="chat-help", size="1", color_scheme="gray"),
                rx.button(
                    rx.icon("send-horizontal", size=16), "Send", type="submit",
                    loading=ChatState.working, disabled=~ChatState.can_send,
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=ChatState.submit,
        reset_on_submit=False,
        width="100%",
    )


def conversation_view() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(ChatState.open_title, size="5", as_="h1", style={"overflow_wrap": "anywhere"}),
            rx.cond(ChatState.session_id == 0, _source_picker(), rx.fragment()),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        rx.vstack(
            rx.cond(
                (ChatState.bubbles.length() == 0) & ~ChatState.working,
                rx.text(
                    "Ask a question about the data source, then refine the answer in follow-ups.",
                    color_scheme="gray", size="2",
                ),
                rx.fragment(),
            ),
            rx.foreach(ChatState.bubbles, _message),
            rx.cond(ChatState.working, rx.fragment(_user_bubble(ChatState.pending), _typing()), rx.fragment()),
            rx.box(id="chat-end"),
            spacing="3",
            width="100%",
            role="log",
            aria_label="Conversation so far",
            aria_live="polite",
        ),
        rx.cond(
            ChatState.error_message != "",
            error_callout(ChatState.error_message, "Not sent", ChatState.limit_reached),
            rx.fragment(),
        ),
        _composer(),
        spacing="4",
        flex="1",
        min_width="0",
        width="100%",
    )


def chat_content() -> rx.Component:
    return rx.fragment(
        rx.flex(
            conversation_list(),
            conversation_view(),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
            align="start",
        ),
        confirm_dialog(
            open_=ChatState.confirming_delete,
            title="Delete this conversation?",
            description="Its messages are removed for good; the answers stay in your history.",
            confirm_label="Delete conversation",
            on_confirm=ChatState.confirm_delete,
            on_cancel=ChatState.cancel_delete,
        ),
        schedule_dialog(ChatState),
    )


def chat_page() -> rx.Component:
    return app_shell("Chat", chat_content)
