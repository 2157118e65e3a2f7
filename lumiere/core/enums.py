"""The closed sets of values stored in the history and sent by the API, defined once.

`StrEnum` members are plain strings too: they compare equal to the stored text, go into the
database and JSON unchanged, and appear as enums in `/api/openapi.json`.
"""

from __future__ import annotations

from enum import StrEnum


class Engine(StrEnum):
    """Who wrote a query's SQL (or an insight's text)."""

    LLM = "llm"
    BUILTIN = "builtin"
    USER = "user"  # SQL the user wrote or edited themselves


class QueryStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    # Nothing ran: the engine could not place the question, or the SQL guard refused the SQL. Kept
    # apart from ERROR (the SQL ran and the database failed) so History can filter one from the other.
    REFUSED = "refused"


class QueryOrigin(StrEnum):
    """How a history entry came about."""

    QUESTION = "question"
    SQL = "sql"  # the user ran SQL they wrote or edited
    RERUN = "rerun"  # an earlier entry's SQL run again


class Feedback(StrEnum):
    """A user's verdict on an answer."""

    UP = "up"
    DOWN = "down"


class ExampleOrigin(StrEnum):
    """How a learned (question, SQL) pair came to be stored for a source."""

    CONFIRMED = "confirmed"  # thumbs up on an engine's answer
    EDITED = "edited"  # the user edited the SQL of a question and ran it
    CORRECTED = "corrected"  # thumbs down with a corrected SQL


class ChatRole(StrEnum):
    """Who wrote a chat message."""

    USER = "user"
    ASSISTANT = "assistant"


class Role(StrEnum):
    """What an account may do across the installation."""

    USER = "user"
    ADMIN = "admin"


class Theme(StrEnum):
    """The appearance a user chose; stored on the account so it follows them to any browser."""

    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


class UsageMetric(StrEnum):
    """What a plan limits. Monthly metrics start again each calendar month (UTC); the others are
    running totals of what the user holds now."""

    QUERIES = "queries"  # monthly: questions, SQL runs and re-runs that reach the data
    SOURCES = "sources"
    STORAGE = "storage"  # bytes of dataset files
    SCHEDULES = "schedules"
    SHARE_LINKS = "share_links"

    @property
    def monthly(self) -> bool:
        return self is UsageMetric.QUERIES


class ExportFormat(StrEnum):
    """File formats an answer can be exported (downloaded or emailed) in."""

    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class RunStatus(StrEnum):
    """Where a schedule's run is (API.md → Schedules)."""

    QUEUED = "queued"
    RUNNING = "running"
    SENT = "sent"
    SKIPPED = "skipped"  # the alert condition did not hold, or a firing was missed while down
    FAILED = "failed"


class RunTrigger(StrEnum):
    CRON = "cron"
    MANUAL = "manual"


class JobKind(StrEnum):
    """Work the job queue runs (lumiere.jobs): each kind is one task with bounded retries."""

    RUN = "run"  # a schedule's run: its query, the file, the emails
    INSIGHT_EMAIL = "insight_email"  # "Email me this insight"
    EXPORT_EMAIL = "export_email"  # an export too big to wait for, emailed as a download link


class WorkspaceRole(StrEnum):
    """A member's role in a workspace: viewers see and ask, editors also change its things, admins
    also manage members and the workspace."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"
