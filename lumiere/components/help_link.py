"""A small "Help: <topic>" link to one section of /help, for empty states and refusals."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.services.help_topics import TOPICS

_TITLES = {topic.slug: topic.title for topic in TOPICS}


def help_link(topic: str = "", label: str = "") -> rx.Component:
    """`topic` is a slug of services/help_topics.py (checked here, so a typo fails at build time);
    none links to the whole help page."""
    if topic and topic not in _TITLES:
        raise ValueError(f"No help topic {topic!r}; pick one of {sorted(_TITLES)}.")
    text = label or (f"Help: {_TITLES[topic]}" if topic else "Help")
    return rx.link(
        rx.hstack(rx.icon("circle-help", size=14), rx.text(text), spacing="1", align="center"),
        href=f"{routes.HELP.path}?topic={topic}" if topic else routes.HELP.path,
        size="2",
        weight="medium",
    )
