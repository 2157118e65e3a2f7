from datetime import datetime

from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class RevokedToken(SQLModel, table=True):
    """An access token signed out before it expired; kept only until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(index=True)
    revoked_at: datetime = Field(default_factory=utcnow)
