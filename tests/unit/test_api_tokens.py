"""Personal API tokens: shown once, stored hashed, accepted as Bearer tokens, revoked at once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from lumiere.core.errors import Invalid, NotFound, Unauthorized
from lumiere.db import session_scope
from lumiere.models import ApiToken, User
from lumiere.models._base import utcnow
from lumiere.services.api_tokens import (
    MAX_TOKENS_PER_USER,
    create_token,
    list_tokens,
    revoke_token_by_id,
)
from lumiere.services.auth import DISABLED, register_user, revoke_token, user_from_token, verify_token
from tests.helpers.rows import present, stored


@pytest.fixture
def alice_and_bob(db_session):
    alice = register_user(db_session, email="alice@example.com", password="password-a", name="Alice")
    bob = register_user(db_session, email="bob@example.com", password="password-b", name="Bob")
    db_session.commit()
    return alice, bob


def _last_used(token_id: int):
    with session_scope() as session:
        return stored(session, ApiToken, token_id).last_used_at


def test_a_token_is_shown_once_and_stored_only_as_its_hash(db_session, alice_and_bob):
    alice, _ = alice_and_bob
    created = create_token(db_session, alice, "  nightly   report ")
    db_session.commit()
    assert created.token.startswith("lum_") and len(created.token) == 4 + 43
    assert created.info.name == "nightly report" and created.info.prefix == created.token[:12]
    row = stored(db_session, ApiToken, created.info.id)
    assert row.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    every_column = " ".join(str(value) for value in row.model_dump().values())
    assert created.token not in every_column and created.token[12:] not in every_column
    listed = list_tokens(db_session, alice)
    assert [(info.id, info.name, info.last_used_at) for info in listed] == [(created.info.id, "nightly report", None)]
    assert not hasattr(listed[0], "token")


def test_a_token_signs_its_owner_in_and_notes_the_use_at_most_once_a_minute(db_session, alice_and_bob):
    alice, _ = alice_and_bob
    created = create_token(db_session, alice, "script")
    db_session.commit()
    assert user_from_token(db_session, created.token).id == alice.id
    first = present(_last_used(created.info.id))
    assert utcnow() - first < timedelta(seconds=30)
    user_from_token(db_session, created.token)
    assert _last_used(created.info.id) == first  # within the minute: no second write
    with session_scope() as session:
        old = utcnow() - timedelta(minutes=5)
        session.execute(update(ApiToken).where(col(ApiToken.id) == created.info.id).values(last_used_at=old))
    user_from_token(db_session, created.token)
    assert present(_last_used(created.info.id)) > first


@pytest.mark.parametrize("forged", ["lum_", "lum_" + "A" * 43, "lum_not-a-real-token"])
def test_unknown_tokens_are_refused(db_session, alice_and_bob, forged):
    with pytest.raises(Unauthorized, match="not valid or has been revoked"):
        user_from_token(db_session, forged)


def test_revoking_stops_the_token_at_once_and_only_the_owner_can(db_session, alice_and_bob):
    alice, bob = alice_and_bob
    created = create_token(db_session, alice, "ci")
    kept = create_token(db_session, alice, "laptop")
    db_session.commit()
    with pytest.raises(NotFound):
        revoke_token_by_id(db_session, bob, created.info.id)
    with pytest.raises(NotFound):
        revoke_token_by_id(db_session, alice, 10_000_000)
    revoke_token_by_id(db_session, alice, created.info.id)
    db_session.commit()
    with pytest.raises(Unauthorized):
        user_from_token(db_session, created.token)
    assert user_from_token(db_session, kept.token).id == alice.id


def test_signing_out_with_a_personal_token_revokes_that_token(db_session, alice_and_bob):
    alice, _ = alice_and_bob
    created = create_token(db_session, alice, "one-off")
    db_session.commit()
    holder = verify_token(db_session, created.token)
    assert holder.api_token_id == created.info.id
    revoke_token(db_session, created.token)
    db_session.commit()
    assert db_session.exec(select(ApiToken)).all() == []
    with pytest.raises(Unauthorized):
        user_from_token(db_session, created.token)


def test_a_disabled_users_tokens_stop_working(db_session, alice_and_bob):
    alice, _ = alice_and_bob
    created = create_token(db_session, alice, "cron")
    db_session.execute(update(User).where(col(User.id) == alice.id).values(disabled=True))
    db_session.commit()
    db_session.expire_all()
    with pytest.raises(Unauthorized, match="disabled"):
        user_from_token(db_session, created.token)
    assert "disabled" in DISABLED


def test_names_are_checked_and_a_user_holds_at_most_twenty(db_session, alice_and_bob):
    alice, bob = alice_and_bob
    for bad in ("", "   ", None, 5, "x" * 101, "tab\x00name"):
        with pytest.raises(Invalid) as caught:
            create_token(db_session, alice, bad)
        assert caught.value.extra["field"] == "name"
    assert create_token(db_session, alice, "x" * 100).info.name == "x" * 100
    for number in range(MAX_TOKENS_PER_USER - 1):
        create_token(db_session, alice, f"token {number}")
    with pytest.raises(Invalid, match="Revoke one"):
        create_token(db_session, alice, "one too many")
    assert create_token(db_session, bob, "bob's first").info.name == "bob's first"
    assert len(list_tokens(db_session, alice)) == MAX_TOKENS_PER_USER
