"""Personal API tokens: a long-lived Bearer token for scripts, shown once and stored only as a hash.

A token is `lum_` + 43 URL-safe characters (256 random bits). The database keeps its SHA-256 (a
fast hash is enough for a random secret of that size: nothing to guess) and its first characters
as a `prefix` the user can tell tokens apart by. Revoking deletes the row, so the token stops
working on its next request. `services.auth.verify_token` accepts these tokens next to the JWTs
issued at sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id, session_scope
from lumiere.models import ApiToken, User
from lumiere.models._base import utcnow
from lumiere.services.policy import Action, authorize, own_filter

TOKEN_PREFIX = "lum_"
MAX_TOKENS_PER_USER = 20
MAX_NAME_CHARS = 100
# "lum_" and 8 random characters: enough to tell tokens apart, far too little to guess the rest.
DISPLAY_PREFIX_CHARS = 12
# last_used_at is written at most this often per token, so a busy script does not write on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it in the list: never the token itself."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    """A new token: `token` is the only time the plain value exists outside the caller's hands."""

    info: TokenInfo
    token: str


def is_personal_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=saved_id(row), name=row.name, prefix=row.prefix, created_at=row.created_at, last_used_at=row.last_used_at
    )


def validate_token_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Give the token a name that says where you use it, such as 'nightly report'.", field="name")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_CHARS:
        raise Invalid(f"A token name can be at most {MAX_NAME_CHARS} characters.", field="name")
    if not cleaned.isprintable():
        raise Invalid("A token name may not contain control characters.", field="name")
    return cleaned


def list_tokens(session: Session, user: User) -> list[TokenInfo]:
    """Newest first."""
    rows = session.exec(
        select(ApiToken).where(own_filter(ApiToken, user)).order_by(col(ApiToken.id).desc())
    ).all()
    return [_info(row) for row in rows]


def create_token(session: Session, user: User, name: object) -> CreatedToken:
    """A new token for `user`; 422 once they hold MAX_TOKENS_PER_USER."""
    cleaned = validate_token_name(name)
    user_id = saved_id(user)
    # Two creations at once by one user must not both take the last place: a no-op UPDATE of the
    # user's row holds its row lock (PostgreSQL) or the write lock (SQLite) until the commit.
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(token_version=User.token_version)
        .execution_options(synchronize_session=False)
    )
    held = session.exec(select(func.count()).select_from(ApiToken).where(own_filter(ApiToken, user))).one()
    if held >= MAX_TOKENS_PER_USER:
        raise Invalid(
            f"You already have {MAX_TOKENS_PER_USER} API tokens, the most one account may hold. "
            "Revoke one you no longer use first.",
            field="name",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=cleaned, token_hash=token_hash(token), prefix=token[:DISPLAY_PREFIX_CHARS])
    session.add(row)
    session.flush()
    return CreatedToken(info=_info(row), token=token)


def revoke_token_by_id(session: Session, user: User, token_id: int) -> None:
    """Delete one of the user's tokens; another user's (or an unknown id) is a 404."""
    row = session.get(ApiToken, token_id)
    missing = f"No API token with id {token_id}."
    if row is None:
        raise NotFound(missing)
    authorize(session, user, row, Action.DELETE, missing=missing)
    session.delete(row)
    session.flush()


def find_token(session: Session, token: str) -> ApiToken | None:
    """The stored token matching a presented one, or None (unknown or revoked)."""
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()


def note_use(row: ApiToken) -> None:
    """Record that the token was used, at most once per LAST_USED_GRANULARITY, in a short session of
    its own: the request's session stays free of writes (an LLM call records itself in another
    session, which on SQLite would wait for them). Call it before the caller writes anything."""
    now = utcnow()
    last = row.last_used_at
    if last is not None and now - _aware(last) < LAST_USED_GRANULARITY:
        return
    with session_scope() as own:
        own.execute(
            update(ApiToken).where(col(ApiToken.id) == row.id).values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
