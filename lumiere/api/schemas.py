"""Request and response shapes of the REST contract (see API.md).

Request models bound sizes and types; the services still validate meaning (email format,
password length in bytes) so that pages and API say the same thing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

IdPath = Annotated[int, Path(ge=1, le=2**53, description="A positive integer id")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class RegisterIn(StrictModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    name: str = Field(max_length=500)


class LoginIn(StrictModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    plan: str
    created_at: str


class LoginOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    user: UserOut


class UserPatchIn(StrictModel):
    name: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=1000)
    current_password: str | None = Field(default=None, max_length=1000)


class UserPatchOut(UserOut):
    access_token: str | None = None
    expires_in: int | None = None
