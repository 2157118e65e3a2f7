"""Deleting an account and everything it owns, and saying what went.

The user's rows are deleted explicitly (so the summary can count them) in one transaction; their
dataset files are removed only once that transaction commits, so a failure halfway leaves both
the rows and the files. Tables added later reach the user through `ON DELETE CASCADE`. The LLM
calls the user made stay in the installation's cost records, without the user (`user_id` NULL).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlalchemy.sql.dml import Delete
from sqlmodel import Session, col, select

from lumiere.core.enums import Role
from lumiere.core.errors import Conflict, NotFound
from lumiere.db import saved_id
from lumiere.models import (
    ApiToken,
    ChatMessage,
    ChatSession,
    Insight,
    LlmCall,
    Query,
    QueryExample,
    RevokedToken,
    Source,
    UsageCounter,
    User,
)
from lumiere.services.sources import remove_file_once_committed
from lumiere.services.users import require_current_password


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting an account removed."""

    email: str
    sources: int  # uploads and database connections together
    connections: int  # of those, connections to the user's own databases (credentials included)
    dataset_files: int
    queries: int
    insights: int
    chats: int
    chat_messages: int
    api_tokens: int
    learned_examples: int


def delete_account(session: Session, actor: User, user_id: int, current_password: object) -> DeletionSummary:
    """Delete `user_id` and all they own. The actor confirms with their own password: a user
    deleting themself, or an admin deleting someone else. Another user's id is a 404 for a
    non-admin, and the last enabled admin cannot delete themself (409)."""
    target = _deletable_user(session, actor, user_id)
    require_current_password(actor, current_password, "delete the account")
    if target.role == Role.ADMIN and not target.disabled:
        _refuse_last_admin(session, target)
    return _delete_everything(session, target)


def _deletable_user(session: Session, actor: User, user_id: int) -> User:
    if actor.id != user_id and actor.role != Role.ADMIN:
        raise NotFound(f"No user with id {user_id}.")
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(f"No user with id {user_id}.")
    return target


def _refuse_last_admin(session: Session, target: User) -> None:
    """Lock every admin row first (PostgreSQL row locks, SQLite's write lock), so two admins
    deleting each other at the same moment cannot both pass the count."""
    is_admin = (col(User.role) == Role.ADMIN.value, col(User.disabled).is_(False))
    session.execute(
        update(User).where(*is_admin).values(token_version=User.token_version)
        .execution_options(synchronize_session=False)
    )
    admins = session.exec(select(func.count()).select_from(User).where(*is_admin)).one()
    if admins <= 1:
        raise Conflict(
            "This is the only admin account: make someone else an admin first, then delete this account."
        )


def _count(session: Session, statement: Delete) -> int:
    return int(session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def _delete_everything(session: Session, user: User) -> DeletionSummary:
    user_id = saved_id(user)
    email = user.email
    sources = session.exec(select(Source).where(Source.user_id == user_id)).all()
    storage_keys = [source.storage_key for source in sources if source.kind == "csv" and source.storage_key]
    connections = sum(1 for source in sources if source.kind != "csv")
    chat_ids = select(ChatSession.id).where(ChatSession.user_id == user_id)
    chat_messages = _count(session, delete(ChatMessage).where(col(ChatMessage.session_id).in_(chat_ids)))
    chats = _count(session, delete(ChatSession).where(col(ChatSession.user_id) == user_id))
    insights = _count(session, delete(Insight).where(col(Insight.user_id) == user_id))
    examples = _count(session, delete(QueryExample).where(col(QueryExample.user_id) == user_id))
    queries = _count(session, delete(Query).where(col(Query.user_id) == user_id))
    tokens = _count(session, delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    session.execute(delete(RevokedToken).where(col(RevokedToken.user_id) == user_id))
    session.execute(delete(UsageCounter).where(col(UsageCounter.user_id) == user_id))
    session.execute(update(LlmCall).where(col(LlmCall.user_id) == user_id).values(user_id=None))
    session.execute(delete(Source).where(col(Source.user_id) == user_id))
    session.expunge_all()  # the bulk deletes left stale objects behind; nothing below reads them
    session.execute(delete(User).where(col(User.id) == user_id))
    session.flush()
    for storage_key in storage_keys:
        remove_file_once_committed(session, storage_key)
    return DeletionSummary(
        email=email,
        sources=len(sources),
        connections=connections,
        dataset_files=len(storage_keys),
        queries=queries,
        insights=insights,
        chats=chats,
        chat_messages=chat_messages,
        api_tokens=tokens,
        learned_examples=examples,
    )
