"""/help: how to ask, connect, use an LLM, chart, export, schedule, share, work together, the
shortcuts and privacy; searchable, each topic reachable at /help#topic or /help?topic=topic."""

from __future__ import annotations

import reflex as rx

from lumiere.components.layout import app_shell, page_header
from lumiere.services.help_topics import TOPICS
from lumiere.state.help import HelpSection, HelpState


def search_box() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            value=HelpState.search,
            on_change=HelpState.set_search,
            placeholder="Search help, e.g. synonyms, export, privacy",
            aria_label="Search help",
            type="search",
            max_length=100,
            width="100%",
            id="help-search",
        ),
        rx.cond(HelpState.search != "",
                rx.button("Clear", on_click=HelpState.clear_search, variant="soft", color_scheme="gray"),
                rx.fragment()),
        width="100%",
        max_width="36rem",
        spacing="2",
    )


def contents() -> rx.Component:
    return rx.el.nav(
        rx.flex(
            *[rx.link(topic.title, href=f"#{topic.slug}", size="2") for topic in TOPICS],
            spacing="3",
            wrap="wrap",
        ),
        aria_label="Help topics",
        width="100%",
    )


def section(item: rx.Var[HelpSection]) -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading(item.title, size="4", as_="h2", id=item.slug + "-title"),
                rx.foreach(item.paragraphs, lambda paragraph: rx.text(paragraph, size="2")),
                spacing="2",
                width="100%",
            ),
            aria_labelledby=item.slug + "-title",
        ),
        id=item.slug,
        width="100%",
        style={"scroll_margin_top": "5rem"},
    )


def help_content() -> rx.Component:
    return rx.vstack(
        page_header("Help", "How Lumiere reads your questions, keeps your data safe, and gets out of your way."),
        search_box(),
        contents(),
        rx.cond(
            HelpState.no_match,
            rx.text("No help matches that search. Try one word, such as chart or workspace.", color_scheme="gray",
                    role="status"),
            rx.vstack(rx.foreach(HelpState.sections, section), spacing="3", width="100%"),
        ),
        spacing="4",
        width="100%",
    )


def help_page() -> rx.Component:
    return app_shell("Help", help_content)
