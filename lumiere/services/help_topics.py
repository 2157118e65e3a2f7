"""The help page's content as data: topics of plain-text paragraphs, the keyboard shortcuts, and the search.

Kept here (not in the page) so that tests can check what it says against the code it describes,
and so that the shortcuts dialog and the help page list the same shortcuts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lumiere.llm.engine import MAX_EXAMPLES, MAX_SAMPLES

MAX_SEARCH = 100  # characters


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # pressed one after the other ("g", "d"), or together when written "Ctrl+K"
    action: str


# keys.js (assets/) binds exactly these; none fires while typing in a field except Ctrl/Cmd+K and Esc.
SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(("?",), "Show the keyboard shortcuts"),
    Shortcut(("Ctrl+K",), "Open the command palette (⌘K on a Mac): pages, sources, insights, history, chats"),
    Shortcut(("/",), "Put the cursor in the question box (Ask) or the message box (Chat)"),
    Shortcut(("g", "d"), "Go to the dashboard"),
    Shortcut(("g", "a"), "Go to Ask"),
    Shortcut(("g", "c"), "Go to Chat"),
    Shortcut(("g", "h"), "Go to History"),
    Shortcut(("n",), "Start a new chat"),
    Shortcut(("s",), "Save the insight of the answer on screen"),
    Shortcut(("Esc",), "In the question or message box: jump to the answer's Save button"),
)


def shortcut_keys(shortcut: Shortcut) -> str:
    """How the help page writes a shortcut: "g then d", "Ctrl+K"."""
    return " then ".join(shortcut.keys)


@dataclass(frozen=True)
class HelpTopic:
    slug: str  # the section's anchor: /help#slug or /help?topic=slug
    title: str
    paragraphs: tuple[str, ...]


TOPICS: tuple[HelpTopic, ...] = (
    HelpTopic(
        "questions",
        "Asking good questions",
        (
            ("Pick a data source on Ask, type a question in plain words and press Enter. You get the answer's "
            "table, a chart, a short written insight and the SQL that produced it."),
            ("Without an LLM, the built-in engine reads your words by rules against the source's column names "
            "and values. It understands counts (how many, number of), averages, totals, minimum, maximum, "
            "median and standard deviation; grouping (by region, per year, for each day); filters on values "
            "(in Europe, for smokers, excluding Asia) and comparisons (more than 100, at least 5, between 1990 "
            "and 2000, before 2007); the top or bottom N (top 5 countries by population); sorting (descending, "
            "from lowest to highest); time buckets (by year, monthly, per quarter, by week, daily); shares "
            "(percentage of); most and least common values; differences (how much more); changes between two "
            "years (how much did the population grow between 1952 and 2007, by what percent, which continent "
            "grew the most); correlations (correlation between tip and total bill); numbers worked out "
            "on each row from two columns (price divided by carat, high minus low temperature, the gap between "
            "two columns above 15); chronological order (oldest year first, in reverse chronological order)."),
            ("Name the column or a value as it appears in the data: 'average tip by day' works better than "
            "'how generous are people'. A vague request such as 'show me something interesting' gets an overview "
            "of the source. When the engine cannot place a word, it says which word, and offers the question "
            "rewritten with the closest columns or values."),
            ("Follow-ups belong in Chat: 'only for smokers', 'what about Europe?', 'the maximum instead', "
            "'split it by sex as well', 'per year instead', 'top 3', 'sort it descending', 'as a line chart'. "
            "A follow-up changes the previous answer instead of starting over."),
            ("Teach it your words: on a data source's page, 'Meaning of columns' holds each column's "
            "description, synonyms, unit and value meanings (Mon = Monday, F = female). Add a synonym there "
            "(revenue for a column named amt_eur) and both engines use it. A thumbs up on an answer, or SQL "
            "you corrected and ran, is reused for the same question later."),
        ),
    ),
    HelpTopic(
        "databases",
        "Connecting a database safely",
        (
            ("On Data, 'Add data' uploads a CSV or connects to PostgreSQL or MySQL. Lumiere only ever runs one "
            "read-only SELECT at a time, inside a read-only transaction with a statement timeout, and checks "
            "every statement before it runs."),
            ("Still, connect with a database user that can only read: create a dedicated user with SELECT on the "
            "tables you want to ask about, and nothing else. Lumiere stores its password encrypted and never "
            "sends it to the browser."),
            ("Addresses on loopback, private or link-local networks are refused unless the operator turns on "
            "LUMIERE_ALLOW_PRIVATE_HOSTS, so nobody can reach your internal network through Lumiere by default."),
        ),
    ),
    HelpTopic(
        "llm",
        "Using an LLM",
        (
            ("Lumiere answers without any LLM. With one (an OpenAI-compatible server the operator configures, or "
            "your own key in Settings → LLM), the LLM writes the SQL, may propose a chart and writes the "
            "insight's prose. Its SQL passes the same checks as any other and is never trusted as such."),
            ("Your own key is stored encrypted and never shown again; 'Test connection' makes one tiny request. "
            "Calls with your key do not count against your plan's LLM budget."),
            "If the LLM cannot be reached, the built-in engine answers and the answer says so.",
        ),
    ),
    HelpTopic(
        "charts",
        "Charts and exports",
        (
            ("Every answer gets a chart picked from its shape; change its type, columns and title under the "
            "chart. A chart is a description our code draws, never code from the LLM."),
            ("Export ▾ on an answer downloads CSV, Excel (every row) or PDF (the question, SQL, chart, insight and "
            "the first rows). 'Email me the file' sends a link when a result is too big to wait for."),
        ),
    ),
    HelpTopic(
        "sharing",
        "Schedules and sharing",
        (
            ("Schedule on an answer runs it again on a timetable (daily, weekly, a custom cron) and emails the "
            "result, optionally only when a condition holds (there are rows, a number crosses a threshold). "
            "Schedules lists them with their runs; every email has a link to stop it."),
            ("Share on an answer creates a public link to a snapshot of it: the question, rows, chart and "
            "insight as they were, never the SQL or the rest of the source. Pick an expiry; revoke a link in "
            "the dialog or in Settings → Shared links and it stops working at once."),
        ),
    ),
    HelpTopic(
        "workspaces",
        "Workspaces and roles",
        (
            ("Workspaces are shared spaces for a team; the switcher in the top bar picks the space every page "
            "shows and adds to (Personal by default)."),
            ("Viewers see and ask, and change their own questions, insights and chats. Editors also add "
            "sources and schedules and change or delete the workspace's things. Admins also manage members "
            "and the workspace itself. Deleting a workspace gives its things back to whoever added them."),
        ),
    ),
    HelpTopic(
        "keyboard",
        "Keyboard shortcuts",
        (
            ("Press ? anywhere (outside a text field) to see the shortcuts. Single-key shortcuts never fire "
            "while you type in a field."),
            *(f"{shortcut_keys(shortcut)}: {shortcut.action}." for shortcut in SHORTCUTS),
            "In the command palette, type to search, use the arrow keys to move and Enter to open.",
        ),
    ),
    HelpTopic(
        "privacy",
        "Privacy: what is stored and what an LLM sees",
        (
            ("Lumiere stores your account, your sources (uploaded files in a private folder, database "
            "connections with encrypted passwords), your questions with their SQL, insights, chats, "
            "schedules, share links and, for cost tracking, a record of each LLM call (tokens, cost, time)."),
            ("Without an LLM, nothing leaves the server. With one, the LLM sees your question, the table and "
            f"column names with their types and up to {MAX_SAMPLES} short sample values per column, the "
            f"meanings you gave columns, up to {MAX_EXAMPLES} earlier questions with their SQL as examples, "
            "values of the data that match words of your question, and the error of a failed try. In Chat it "
            "also sees the earlier turns (questions, SQL and a few rows)."),
            ("For a chart it sees the column names and a few result rows; for the insight, facts computed from "
            "the result (totals, top items, trends), not the whole result. It never sees your passwords, "
            "keys or other users' data."),
        ),
    ),
)

TOPIC_SLUGS: frozenset[str] = frozenset(topic.slug for topic in TOPICS)

_WORD = re.compile(r"\w+")


def search_topics(text: str) -> list[HelpTopic]:
    """The topics with the paragraphs that contain every word of `text` (any case); a topic whose
    title matches keeps all its paragraphs. An empty text gives every topic."""
    words = [word.lower() for word in _WORD.findall(text[:MAX_SEARCH])]
    if not words:
        return list(TOPICS)

    def matches(value: str) -> bool:
        lowered = value.lower()
        return all(word in lowered for word in words)

    found = []
    for topic in TOPICS:
        if matches(topic.title):
            found.append(topic)
            continue
        paragraphs = tuple(paragraph for paragraph in topic.paragraphs if matches(paragraph))
        if paragraphs:
            found.append(HelpTopic(topic.slug, topic.title, paragraphs))
    return found
