"""SQLModel tables; importing this package registers every table on `SQLModel.metadata`."""

from lumiere.models.api_token import ApiToken
from lumiere.models.chat import ChatMessage, ChatSession
from lumiere.models.example import QueryExample
from lumiere.models.insight import Insight
from lumiere.models.plan import Plan
from lumiere.models.query import Query
from lumiere.models.revoked_token import RevokedToken
from lumiere.models.schedule import EmailOptOut, Schedule, ScheduleRun
from lumiere.models.share import ShareLink
from lumiere.models.source import Source
from lumiere.models.usage import LlmCall, UsageCounter
from lumiere.models.user import User
from lumiere.models.workspace import Workspace, WorkspaceInvitation, WorkspaceMember

__all__ = [
    "ApiToken", "ChatMessage", "ChatSession", "EmailOptOut", "Insight", "LlmCall", "Plan", "Query", "QueryExample",
    "RevokedToken", "Schedule", "ScheduleRun", "ShareLink", "Source", "UsageCounter", "User", "Workspace",
    "WorkspaceInvitation", "WorkspaceMember",
]
