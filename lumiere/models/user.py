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
    # A disabled account's tokens stop working at once; only an admin can enable it again.
    disabled: bool = Field(default=False)
    theme: str = Field(default="system", max_length=10)  # light | dark | system
    # The user's own OpenAI-compatible endpoint and model (with their key); None: the server's.
    llm_base_url: str | None = Field(default=None, max_length=500)
    llm_model: str | None = Field(default=None, max_length=100)
    # The dashboard's "Getting started" card was closed (the help menu shows it again).
    guide_dismissed: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, index=True)  # the admin console's new users
    updated_at: datetime = Field(default_factory=utcnow)
