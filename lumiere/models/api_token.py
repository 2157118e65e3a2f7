from datetime import datetime

from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class ApiToken(SQLModel, table=True):
    """A personal token for the REST API: shown once, stored as a SHA-256 hash, revoked by deleting it."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # The first characters of the token, so the user can tell their tokens apart.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
