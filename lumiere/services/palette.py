"""The command palette's search (Ctrl/Cmd+K): pages, sources, saved insights, history and chats.

Everything but the pages comes from the database through the authorization policy's
`visible_filter`, for the space the user is working in, so the palette never names another
user's source, question or chat (nor a workspace's the user is not in: that is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from lumiere import routes
from lumiere.core.errors import Invalid
from lumiere.models import ChatSession, Insight, Query, Source, User
from lumiere.services.policy import visible_filter

MAX_QUERY = 100  # characters: a palette search is a few words
PER_KIND = 5  # rows per kind, so one busy kind never hides the others


class PaletteKind(StrEnum):
    PAGE = "page"
    SOURCE = "source"
    INSIGHT = "insight"
    HISTORY = "history"
    CHAT = "chat"


@dataclass(frozen=True)
class PaletteItem:
    """One result: what it is, what to show, and where Enter goes."""

    kind: PaletteKind
    label: str
    detail: str
    url: str


# Pages a user may jump to (the sidebar's, and two more), with the extra words they might type for them.
_PAGES: tuple[tuple[routes.Route, str], ...] = (
    *((route, route.nav_label) for route in routes.NAV),
    (routes.UPLOAD, "Add data"),
    (routes.SETTINGS, "Settings"),
)
_PAGE_WORDS: dict[str, str] = {
    routes.QUERY.path: "question",
    routes.UPLOAD.path: "upload csv file connect database",
    routes.SETTINGS.path: "profile account llm api tokens plan theme password",
    routes.HELP.path: "guide shortcuts keyboard privacy",
}


def _pages(user: User, text: str) -> list[PaletteItem]:
    found = []
    for route, label in _PAGES:
        if route.admin_only and user.role != "admin":
            continue
        if text in f"{label} {_PAGE_WORDS.get(route.path, '')} {route.path}".lower():
            found.append(PaletteItem(PaletteKind.PAGE, label, route.path, route.path))
    return found


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _matching(
    session: Session, user: User, space: int | None, model: Any, column: Any, text: str, *conditions: Any
) -> list[Any]:
    """The newest rows of `model` visible in `space` whose `column` contains `text` (any case)."""
    statement = select(model).where(visible_filter(session, model, user, space), *conditions)
    if text:
        statement = statement.where(func.lower(column).contains(text, autoescape=True))
    return list(session.exec(statement.order_by(col(model.created_at).desc(), col(model.id).desc()).limit(PER_KIND)))


def search(session: Session, user: User, workspace_id: int | None, text: str) -> list[PaletteItem]:
    """Everything matching `text` in the user's current space, pages first; an empty text lists the
    pages and the newest of each kind."""
    needle = " ".join(text.split()).lower()
    if len(needle) > MAX_QUERY:
        raise Invalid(f"Search for at most {MAX_QUERY} characters.")
    items = _pages(user, needle)
    for source in _matching(session, user, workspace_id, Source, Source.name, needle):
        items.append(PaletteItem(PaletteKind.SOURCE, source.name, f"Data source · {source.kind}",
                                 routes.source_url(source.id)))
    saved = col(Insight.saved).is_(True)
    for insight in _matching(session, user, workspace_id, Insight, Insight.text, needle, saved):
        items.append(PaletteItem(PaletteKind.INSIGHT, _short(insight.text), "Saved insight",
                                 routes.query_url(insight.query_id)))
    asked = col(Query.question) != ""
    for query in _matching(session, user, workspace_id, Query, Query.question, needle, asked):
        items.append(PaletteItem(PaletteKind.HISTORY, _short(query.question),
                                     f"History · {query.source_name}".rstrip(" ·"), routes.query_url(query.id)))
    for chat in _matching(session, user, workspace_id, ChatSession, ChatSession.title, needle):
        items.append(PaletteItem(PaletteKind.CHAT, _short(chat.title or "Untitled chat"), "Chat",
                                 routes.chat_url(chat.id)))
    return items
