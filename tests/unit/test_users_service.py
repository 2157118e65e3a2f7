"""Editing accounts: who may see and change what."""

from __future__ import annotations

import pytest

from lumiere.core.errors import Conflict, Invalid, NotFound, Unauthorized
from lumiere.services.auth import authenticate, register_user, user_from_token
from lumiere.services.users import get_visible_user, public_user, set_theme, update_user


@pytest.fixture
def people(db_session):
    admin = register_user(db_session, email="admin@example.com", password="password-a", name="Admin")
    alice = register_user(db_session, email="alice@example.com", password="password-b", name="Alice")
    bob = register_user(db_session, email="bob@example.com", password="password-c", name="Bob")
    return admin, alice, bob


def test_public_user_has_the_contract_fields_and_no_secret(people):
    shown = public_user(people[1])
    assert set(shown) == {"id", "email", "name", "role", "plan", "theme", "created_at"}
    assert shown["created_at"].endswith("Z")


def test_a_user_sees_themself_but_not_others_and_an_admin_sees_all(db_session, people):
    admin, alice, bob = people
    assert get_visible_user(db_session, alice, alice.id).id == alice.id
    with pytest.raises(NotFound):
        get_visible_user(db_session, alice, bob.id)
    assert get_visible_user(db_session, admin, bob.id).id == bob.id
    with pytest.raises(NotFound):
        get_visible_user(db_session, admin, 10_000_000)


def test_changing_password_needs_the_current_one_and_revokes_old_tokens(db_session, people):
    from lumiere.services.auth import issue_token

    _, alice, _ = people
    old_token = issue_token(alice).access_token
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, password="new-password-1")
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, password="new-password-1", current_password="wrong-one")
    _, new_token = update_user(db_session, alice, alice.id, password="new-password-1", current_password="password-b")
    assert new_token is not None
    with pytest.raises(Unauthorized):
        user_from_token(db_session, old_token)
    assert user_from_token(db_session, new_token.access_token).id == alice.id
    assert authenticate(db_session, email="alice@example.com", password="new-password-1").id == alice.id


def test_email_change_checks_format_uniqueness_and_password(db_session, people):
    _, alice, _ = people
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, email="not-an-email", current_password="password-b")
    with pytest.raises(Conflict):
        update_user(db_session, alice, alice.id, email="BOB@example.com", current_password="password-b")
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, email="alice2@example.com")
    updated, _ = update_user(db_session, alice, alice.id, email="alice2@example.com", current_password="password-b")
    assert updated.email == "alice2@example.com"


def test_name_is_validated(db_session, people):
    _, alice, _ = people
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, name="   ")
    with pytest.raises(Invalid):
        update_user(db_session, alice, alice.id, name="n" * 101)
    assert update_user(db_session, alice, alice.id, name="Alice B.")[0].name == "Alice B."


def test_a_user_cannot_edit_someone_else(db_session, people):
    _, alice, bob = people
    with pytest.raises(NotFound):
        update_user(db_session, alice, bob.id, name="Mallory")


def test_the_appearance_is_stored_on_the_account(db_session, people):
    _, alice, bob = people
    assert public_user(alice)["theme"] == "system"
    updated, _ = update_user(db_session, alice, alice.id, theme="dark")
    assert updated.theme == "dark" and public_user(updated)["theme"] == "dark"
    assert set_theme(db_session, alice, "light") == "light"
    for bad in ("blue", "", None, 3):
        with pytest.raises(Invalid) as caught:
            set_theme(db_session, alice, bad)
        assert caught.value.extra["field"] == "theme"
    with pytest.raises(NotFound):
        update_user(db_session, alice, bob.id, theme="dark")
