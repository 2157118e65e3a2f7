from datetime import datetime

from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=100)
    password_hash: str = Field(max_length=100)
    role: str = Field(default="user", max_length=20)
    plan: str = Field(default="free", max_length=20)
    # Bumped on password change so that tokens issued before it stop working.
    token_version: int = Field(default=0)
    # The user's own LLM API key, encrypted with the server key (never returned).
    llm_api_key_encrypted: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
