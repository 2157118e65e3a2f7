"""Markdown for text that came from data or an LLM: no raw HTML, no links, no images.

The text is already passed through `safe_markdown` by the state; this renderer is the second
wall: the raw-HTML plugin is off, and links and images render as plain text, so nothing in
an insight can make the browser fetch a URL or run a script.
"""

from __future__ import annotations

import reflex as rx


def _inert_link(value: object) -> rx.Component:
    return rx.text.span(value)


def _inert_image(*_children: object) -> rx.Component:
    return rx.text.span("[image]", color_scheme="gray")


def _inert_code(value: object) -> rx.Component:
    return rx.code(value, variant="ghost", color_scheme="gray", style={"word_break": "break-all"})


def safe_markdown_view(text: rx.Var[str], **props) -> rx.Component:
    return rx.markdown(
        text,
        use_raw=False,
        use_math=False,
        use_katex=False,
        use_unwrap_images=False,
        component_map={"a": _inert_link, "img": _inert_image, "code": _inert_code},
        **props,
    )
