"""Deleting an account: everything the user owns goes (files only once committed), nobody else's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from lumiere.core.enums import ExampleOrigin
from lumiere.core.errors import Conflict, Invalid, NotFound
from lumiere.db import saved_id, session_scope
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
from lumiere.services import examples
from lumiere.services.account import DeletionSummary, delete_account
from lumiere.services.api_tokens import create_token
from lumiere.services.auth import issue_token, register_user, revoke_token
from lumiere.services.insights import create_insight
from lumiere.storage.datasets import dataset_path
from tests.helpers.queries import make_query

PASSWORDS = {"admin": "password-admin", "alice": "password-alice", "bob": "password-bob"}
OWNED = (ApiToken, ChatSession, Insight, Query, QueryExample, RevokedToken, Source, UsageCounter, LlmCall)


@pytest.fixture
def people(db_session):
    made = {
        name: register_user(db_session, email=f"{name}@example.com", password=password, name=name.title())
        for name, password in PASSWORDS.items()
    }
    db_session.commit()
    return made["admin"], made["alice"], made["bob"]


def _fill_account(session: Session, user: User, folder: Path) -> list[Path]:
    """One of everything a user can own; returns the paths of their dataset files."""
    query = make_query(session, user, folder)
    second = make_query(session, user, folder, sql='SELECT "time", COUNT(*) AS n FROM tips_2 GROUP BY "time"')
    create_insight(session, user, saved_id(query))
    examples.remember(session, user, query, query.sql, ExampleOrigin.CONFIRMED)
    chat = ChatSession(user_id=saved_id(user), source_id=query.source_id, title="Tips")
    session.add(chat)
    session.flush()
    session.add_all([ChatMessage(session_id=saved_id(chat), text="hello"), ChatMessage(session_id=saved_id(chat))])
    session.add(Source(user_id=saved_id(user), name="warehouse", kind="postgresql", password_encrypted="secret"))
    session.add(LlmCall(user_id=saved_id(user), purpose="sql", model="gpt-4o-mini", outcome="ok", cost_usd=0.01))
    session.commit()
    create_token(session, user, "script")
    create_token(session, user, "laptop")
    session.commit()
    revoke_token(session, issue_token(user).access_token)
    session.commit()
    sources = session.exec(select(Source).where(Source.user_id == user.id, Source.kind == "csv")).all()
    assert {saved_id(source) for source in sources} == {query.source_id, second.source_id}
    return [dataset_path(source) for source in sources]


def _owned_counts(session: Session, user_id: int) -> dict[str, int]:
    counts = {}
    for model in OWNED:
        table: type[SQLModel] = model
        counts[model.__name__] = session.exec(
            select(func.count()).select_from(table).where(table.user_id == user_id)  # type: ignore[attr-defined]
        ).one()
    return counts


def test_deleting_yourself_removes_everything_you_own_and_nothing_of_others(db_session, people, tmp_path):
    _, alice, bob = people
    alice_files = _fill_account(db_session, alice, tmp_path)
    bob_files = _fill_account(db_session, bob, tmp_path)
    bob_before = _owned_counts(db_session, saved_id(bob))
    learned = _owned_counts(db_session, saved_id(alice))["QueryExample"]
    assert learned >= 1

    summary = delete_account(db_session, alice, saved_id(alice), PASSWORDS["alice"])
    assert summary == DeletionSummary(
        email="alice@example.com", sources=3, connections=1, dataset_files=2, queries=2, insights=1, chats=1,
        chat_messages=2, api_tokens=2, learned_examples=learned,
    )
    assert all(path.exists() for path in alice_files)  # not before the deletion is committed
    db_session.commit()
    assert not any(path.exists() for path in alice_files)
    assert all(path.exists() for path in bob_files)

    assert db_session.get(User, alice.id) is None
    left = _owned_counts(db_session, saved_id(alice))
    assert set(left.values()) == {0}
    assert db_session.exec(select(func.count()).select_from(ChatMessage)).one() == 2  # Bob's two
    assert _owned_counts(db_session, saved_id(bob)) == bob_before
    # Alice's LLM calls stay in the installation's costs, without her.
    orphaned = db_session.exec(select(LlmCall).where(LlmCall.user_id == None)).all()  # noqa: E711
    assert [call.cost_usd for call in orphaned] == [0.01]


def test_a_rolled_back_deletion_keeps_the_files_and_the_rows(app_db, people, tmp_path):
    _, alice, _ = people
    with session_scope() as session:
        files = _fill_account(session, session.get(User, alice.id), tmp_path)
    with pytest.raises(RuntimeError), session_scope() as session:
        delete_account(session, session.get(User, alice.id), saved_id(alice), PASSWORDS["alice"])
        raise RuntimeError("the request failed after the deletion")
    assert all(path.exists() for path in files)
    with session_scope() as session:
        assert session.get(User, alice.id) is not None


@pytest.mark.parametrize("password", [None, "", "wrong-password", 12345])
def test_deleting_needs_your_own_current_password(db_session, people, password):
    admin, alice, _ = people
    for actor, target in ((alice, alice), (admin, alice)):
        with pytest.raises(Invalid) as caught:
            delete_account(db_session, actor, saved_id(target), password)
        assert caught.value.extra["field"] == "current_password"
    with pytest.raises(Invalid):  # an admin confirms with their own password, not the user's
        delete_account(db_session, admin, saved_id(alice), PASSWORDS["alice"])
    assert db_session.get(User, alice.id) is not None


def test_others_cannot_delete_you_but_an_admin_can(db_session, people):
    admin, alice, bob = people
    with pytest.raises(NotFound):
        delete_account(db_session, alice, saved_id(bob), PASSWORDS["alice"])
    with pytest.raises(NotFound):
        delete_account(db_session, admin, 10_000_000, PASSWORDS["admin"])
    summary = delete_account(db_session, admin, saved_id(bob), PASSWORDS["admin"])
    assert summary.email == "bob@example.com" and summary.sources == 0
    db_session.commit()
    assert db_session.get(User, bob.id) is None and db_session.get(User, alice.id) is not None


def test_the_last_admin_cannot_delete_themself_until_there_is_another(db_session, people):
    admin, alice, _ = people
    with pytest.raises(Conflict, match="make someone else an admin first"):
        delete_account(db_session, admin, saved_id(admin), PASSWORDS["admin"])
    alice.role = "admin"
    db_session.add(alice)
    db_session.commit()
    delete_account(db_session, admin, saved_id(admin), PASSWORDS["admin"])
    db_session.commit()
    assert db_session.get(User, admin.id) is None
