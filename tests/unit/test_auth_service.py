"""Accounts service: validation, first admin, hashing, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlmodel import select

from lumiere.config import get_settings
from lumiere.core.errors import Conflict, Invalid, Unauthorized
from lumiere.db import saved_id
from lumiere.models import RevokedToken, User
from lumiere.services.auth import (
    WRONG_LOGIN,
    authenticate,
    issue_token,
    normalize_email,
    register_user,
    revoke_token,
    user_from_token,
    validate_password,
)


def test_first_account_is_admin_and_the_next_is_user(db_session):
    first = register_user(db_session, email="Founder@Example.com", password="password-1", name="  Ada   Lovelace ")
    second = register_user(db_session, email="second@example.com", password="password-2", name="Bob")
    assert (first.role, second.role) == ("admin", "user")
    assert first.email == "founder@example.com"
    assert first.name == "Ada Lovelace"
    assert first.plan == "free" and second.plan == "free"


def test_password_is_stored_as_a_bcrypt_hash(db_session):
    user = register_user(db_session, email="hash@example.com", password="password-1", name="H")
    assert user.password_hash.startswith("$2") and "password-1" not in user.password_hash


def test_duplicate_email_is_a_conflict_whatever_the_case(db_session):
    register_user(db_session, email="dup@example.com", password="password-1", name="A")
    with pytest.raises(Conflict):
        register_user(db_session, email="DUP@example.com", password="password-2", name="B")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 8"),
        ("", "Enter a password"),
        ("x" * 73, "72 bytes"),
        ("é" * 37, "72 bytes"),  # 37 characters but 74 bytes in UTF-8
        (None, "Enter a password"),
    ],
)
def test_password_rules(password, fragment):
    with pytest.raises(Invalid) as caught:
        validate_password(password)
    assert fragment in caught.value.detail
    assert caught.value.extra["field"] == "password"


def test_password_of_exactly_72_bytes_is_accepted():
    assert validate_password("é" * 36) == "é" * 36


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@", "@b.com", "a b@example.com", "x" * 250 + "@example.com"])
def test_invalid_emails_are_refused(email):
    with pytest.raises(Invalid) as caught:
        normalize_email(email)
    assert caught.value.extra["field"] == "email"


def test_wrong_login_says_the_same_for_unknown_email_and_wrong_password(db_session):
    register_user(db_session, email="known@example.com", password="password-1", name="K")
    with pytest.raises(Unauthorized) as unknown:
        authenticate(db_session, email="unknown@example.com", password="password-1")
    with pytest.raises(Unauthorized) as wrong:
        authenticate(db_session, email="known@example.com", password="password-2")
    assert unknown.value.detail == wrong.value.detail == WRONG_LOGIN


def test_token_round_trip_and_rejections(db_session):
    user = register_user(db_session, email="tok@example.com", password="password-1", name="T")
    token = issue_token(user).access_token
    assert user_from_token(db_session, token).id == user.id

    secret = get_settings().resolved_secret_key
    now = datetime.now(UTC)
    expired = jwt.encode(
        {"sub": str(user.id), "ver": 0, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
        secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": str(user.id), "ver": 0, "iat": now, "exp": now + timedelta(hours=1)}, "not-the-key", algorithm="HS256"
    )
    unsigned = jwt.encode(
        {"sub": str(user.id), "ver": 0, "iat": now, "exp": now + timedelta(hours=1)},
        None,  # type: ignore[arg-type]  # no key: a forged unsigned token, which must be refused
        algorithm="none",
    )
    for bad in (expired, forged, unsigned, "garbage", token[:-3] + "abc", ""):
        with pytest.raises(Unauthorized):
            user_from_token(db_session, bad)


def test_token_of_a_deleted_user_is_refused(db_session):
    user = register_user(db_session, email="gone@example.com", password="password-1", name="G")
    token = issue_token(user).access_token
    db_session.delete(db_session.get(User, user.id))
    db_session.flush()
    with pytest.raises(Unauthorized):
        user_from_token(db_session, token)


def test_revoking_a_token_purges_revocations_that_have_expired(db_session):
    user = register_user(db_session, email="out@example.com", password="password-1", name="O")
    stale = RevokedToken(jti="stale", user_id=saved_id(user), expires_at=datetime.now(UTC) - timedelta(minutes=1))
    db_session.add(stale)
    db_session.flush()
    kept, revoked = issue_token(user).access_token, issue_token(user).access_token
    revoke_token(db_session, revoked)
    with pytest.raises(Unauthorized, match="signed out"):
        revoke_token(db_session, revoked)
    rows = db_session.exec(select(RevokedToken)).all()
    assert [row.user_id for row in rows] == [user.id] and rows[0].jti != "stale"
    assert rows[0].expires_at > datetime.now(UTC) + timedelta(minutes=get_settings().token_ttl_minutes - 1)
    assert user_from_token(db_session, kept).id == user.id
