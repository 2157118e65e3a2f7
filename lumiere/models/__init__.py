"""SQLModel tables; importing this package registers every table on `SQLModel.metadata`."""

from lumiere.models.chat import ChatMessage, ChatSession
from lumiere.models.example import QueryExample
from lumiere.models.insight import Insight
from lumiere.models.query import Query
from lumiere.models.revoked_token import RevokedToken
from lumiere.models.source import Source
from lumiere.models.usage import LlmCall
from lumiere.models.user import User

__all__ = [
    "ChatMessage", "ChatSession", "Insight", "LlmCall", "Query", "QueryExample", "RevokedToken", "Source", "User"
]
