"""Every page's address as data, and the URLs of pages that take parameters.

`lumiere.py` registers one page per route, the sidebar draws the routes that have a nav label,
and pages and states link with the constants and builders here instead of spelling paths out.
This module imports no page and no state, so all of them can import it without a cycle.

The builders accept plain values or Reflex Vars: an f-string with a Var becomes a template the
browser fills in, so `query_url(item["id"])` works inside `rx.foreach` as well as on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class Route:
    """One page: where it lives, its browser title, and how the sidebar shows it (if at all)."""

    path: str
    title: str
    nav_label: str = ""
    nav_icon: str = ""
    admin_only: bool = False
    requires_login: bool = True

    @property
    def in_nav(self) -> bool:
        return bool(self.nav_label)


INDEX = Route("/", "Lumiere")
LOGIN = Route("/login", "Sign in · Lumiere", requires_login=False)
REGISTER = Route("/register", "Create account · Lumiere", requires_login=False)
DASHBOARD = Route("/dashboard", "Dashboard · Lumiere", "Dashboard", "layout-dashboard")
DATA = Route("/data", "Data · Lumiere", "Data", "database")
UPLOAD = Route("/data/upload", "Upload · Lumiere")
SOURCE = Route("/data/[source_id]", "Data source · Lumiere")
QUERY = Route("/query", "Ask · Lumiere", "Ask", "message-circle-question")
CHAT = Route("/chat", "Chat · Lumiere", "Chat", "messages-square")
HISTORY = Route("/history", "History · Lumiere", "History", "history")
INSIGHTS = Route("/insights", "Saved insights · Lumiere", "Insights", "lightbulb")
SCHEDULES = Route("/schedules", "Schedules · Lumiere", "Schedules", "calendar-clock")
WORKSPACES = Route("/workspaces", "Workspaces · Lumiere", "Workspaces", "users")
PROFILE = Route("/profile", "Settings · Lumiere")  # the old address of Settings → Profile: redirects there
SETTINGS = Route("/settings", "Settings · Lumiere")
SETTINGS_PLAN = f"{SETTINGS.path}#plan"  # where a plan limit's message sends people
HELP = Route("/help", "Help · Lumiere", "Help", "circle-help")
ADMIN = Route("/admin", "Admin · Lumiere", "Admin", "shield", admin_only=True)
# A shared answer: anyone with the link, no sign-in, no app navigation.
SHARED = Route("/s/[token]", "Shared answer · Lumiere", requires_login=False)

# Registration order; the sidebar keeps this order too.
ROUTES: tuple[Route, ...] = (
    INDEX,
    LOGIN,
    REGISTER,
    DASHBOARD,
    PROFILE,
    SETTINGS,
    DATA,
    UPLOAD,
    SOURCE,
    QUERY,
    CHAT,
    HISTORY,
    INSIGHTS,
    SCHEDULES,
    WORKSPACES,
    HELP,
    ADMIN,
    SHARED,
)
NAV: tuple[Route, ...] = tuple(route for route in ROUTES if route.in_nav)
HOME = DASHBOARD


def source_url(source_id: Any) -> str:
    """One data source's page (`SOURCE`)."""
    return f"{DATA.path}/{source_id}"


def query_url(query_id: Any) -> str:
    """The Ask page showing a history entry again, without asking anew."""
    return f"{QUERY.path}?query={query_id}"


def edit_url(query_id: Any) -> str:
    """The Ask page showing a history entry with its SQL open in the editor (failed entries too)."""
    return f"{QUERY.path}?query={query_id}&edit=1"


def rerun_url(query_id: Any) -> str:
    """The Ask page running a history entry's SQL again (recorded as a re-run)."""
    return f"{QUERY.path}?rerun={query_id}"


def ask_url(source_id: Any, question: str | None = None) -> str:
    """The Ask page with a source picked and, given a question, asking it straight away."""
    if question is None:
        return f"{QUERY.path}?source={source_id}"
    return f"{QUERY.path}?{urlencode({'source': source_id, 'q': question})}"


def chat_url(session_id: Any) -> str:
    """The Chat page with one conversation open."""
    return f"{CHAT.path}?session={session_id}"


def help_url(topic: str = "") -> str:
    """The help page, opened at one topic's section (`services/help_topics.py` slugs) when given."""
    return f"{HELP.path}#{topic}" if topic else HELP.path


def login_url(next_path: str | None = None) -> str:
    """The sign-in page; after signing in the user goes on to `next_path`."""
    if not next_path:
        return LOGIN.path
    return f"{LOGIN.path}?next={quote(next_path, safe='/')}"
