"""/help: the help topics filtered by a search box, opened at a topic from a deep link."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from lumiere.services.help_topics import MAX_SEARCH, TOPIC_SLUGS, search_topics
from lumiere.state.auth import AuthState


@dataclass(frozen=True)
class HelpSection:
    slug: str
    title: str
    paragraphs: list[str]


class HelpState(AuthState):
    search: str = ""

    @rx.var
    def sections(self) -> list[HelpSection]:
        return [HelpSection(t.slug, t.title, list(t.paragraphs)) for t in search_topics(self.search)]

    @rx.var
    def no_match(self) -> bool:
        return not self.sections

    @rx.event
    def set_search(self, text: str):
        self.search = text[:MAX_SEARCH]

    @rx.event
    def clear_search(self):
        self.search = ""

    @rx.event
    def load(self):
        """on_load: sign-in check, then scroll to the topic of `/help?topic=…` or `/help#…`."""
        if self._authorized_user() is None:
            return self._login_redirect()
        url = self.router.url
        topic = url.query_parameters.get("topic") or url.fragment
        if topic in TOPIC_SLUGS:
            self.search = ""
            return rx.scroll_to(topic)
        return None
