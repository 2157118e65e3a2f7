"""Request and response shapes of the settings routes: personal API tokens, the user's own LLM and
deleting an account (API.md → Plans, usage, settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lumiere.api.schemas import StrictModel


class TokenOut(BaseModel):
    """A personal API token as its list shows it: never the token itself."""

    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: str
    last_used_at: str | None = Field(description="Updated at most once a minute")


class TokenListOut(BaseModel):
    items: list[TokenOut]
    total: int


class TokenCreateIn(StrictModel):
    name: str = Field(max_length=500, description="Where the token is used, 1 to 100 characters")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token, shown this once only: use it as `Authorization: Bearer <token>`")


class LlmSettingsOut(BaseModel):
    has_key: bool = Field(description="Whether the user stored their own API key (the key is never returned)")
    base_url: str | None = Field(description="The user's OpenAI-compatible base URL; null: the server's")
    model: str | None = Field(description="The user's model; null: the server's")


class LlmSettingsIn(StrictModel):
    """Fields left out stay as they are; an empty base_url or model goes back to the server's."""

    api_key: str | None = Field(default=None, max_length=1000)
    base_url: str | None = Field(default=None, max_length=2000)
    model: str | None = Field(default=None, max_length=500)


class LlmTestOut(BaseModel):
    ok: bool
    detail: str


class AccountDeleteIn(StrictModel):
    current_password: str = Field(
        max_length=1000, description="The password of the account making the request (an admin's own for another user)"
    )
