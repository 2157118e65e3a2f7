"""A user's own LLM key: validated, stored encrypted, used for that user's calls only, never leaked."""

from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import col, select

from lumiere.config import reset_settings
from lumiere.core.errors import BadRequest, Invalid
from lumiere.db import session_scope
from lumiere.llm.client import LlmUnavailable, client_for_user
from lumiere.models import LlmCall, User
from lumiere.services.llm_keys import clear_user_llm_key, has_user_llm_key, set_user_llm_key
from lumiere.storage.crypto import decrypt_secret
from tests.helpers.rows import present, stored


def _new_user(name: str = "Key Owner") -> User:
    with session_scope() as session:
        user = User(email=f"key{time.monotonic_ns()}@example.com", name=name, password_hash="x")
        session.add(user)
        session.flush()
        return user


def _store_key(user: User, key: str) -> User:
    with session_scope() as session:
        fresh = stored(session, User, user.id)
        set_user_llm_key(session, fresh, key)
    with session_scope() as session:
        return stored(session, User, user.id)


def test_the_key_is_stored_encrypted_and_can_be_cleared(app_db) -> None:
    user = _store_key(_new_user(), "  sk-user-Abc123_XYZ.456\n")
    assert has_user_llm_key(user)
    assert "sk-user-Abc123" not in present(user.llm_api_key_encrypted)
    assert decrypt_secret(present(user.llm_api_key_encrypted)) == "sk-user-Abc123_XYZ.456"
    with session_scope() as session:
        clear_user_llm_key(session, stored(session, User, user.id))
    with session_scope() as session:
        cleared = stored(session, User, user.id)
    assert cleared.llm_api_key_encrypted is None and not has_user_llm_key(cleared)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "cannot be empty"),
        ("   \n", "cannot be empty"),
        (None, "cannot be empty"),
        (12345, "cannot be empty"),
        ("sk-abc def", "remove spaces"),
        ("sk-abc\ndef", "remove spaces"),
        ("sk-clé", "remove spaces"),
        ("sk-" + "x" * 398, "at most 400"),
    ],
)
def test_bad_keys_are_refused_and_the_old_key_stays(app_db, bad, message) -> None:
    user = _store_key(_new_user(), "sk-original-key-1")
    with pytest.raises(Invalid, match=message) as caught, session_scope() as session:
        set_user_llm_key(session, stored(session, User, user.id), bad)
    assert caught.value.status_code == 422 and caught.value.extra["field"] == "api_key"
    with session_scope() as session:
        assert decrypt_secret(present(stored(session, User, user.id).llm_api_key_encrypted)) == "sk-original-key-1"


def test_a_key_of_exactly_400_characters_is_accepted(app_db) -> None:
    user = _store_key(_new_user(), "k" * 400)
    assert decrypt_secret(present(user.llm_api_key_encrypted)) == "k" * 400


def test_each_user_calls_the_model_with_their_own_key_and_it_leaks_nowhere(app_db, fake_llm, caplog) -> None:
    alice = _store_key(_new_user("Alice"), "sk-alice-" + "a1" * 12)
    bob = _store_key(_new_user("Bob"), "sk-bob-" + "b2" * 12)
    carol = _new_user("Carol")  # no key of her own: the server's
    caplog.set_level(logging.DEBUG)
    for user in (alice, bob, carol):
        fake_llm.reply_json({"ok": True})
        client = client_for_user(user)
        assert client is not None
        client.complete_json(purpose="chat", system="JSON", prompt="hi", user_id=user.id, validate=dict)

    seen = [request.headers["authorization"] for request in fake_llm.chat_requests]
    assert seen == ["Bearer sk-alice-" + "a1" * 12, "Bearer sk-bob-" + "b2" * 12, f"Bearer {fake_llm.api_key}"]
    with session_scope() as session:
        calls = session.exec(select(LlmCall).order_by(col(LlmCall.id))).all()
    assert [call.user_id for call in calls] == [alice.id, bob.id, carol.id]
    for request in fake_llm.chat_requests:
        assert "sk-" not in str(request.body) and fake_llm.api_key not in str(request.body)
    for key in ("sk-alice-" + "a1" * 12, "sk-bob-" + "b2" * 12, fake_llm.api_key):
        assert key not in caplog.text
        assert all(key not in (call.error or "") for call in calls)


def test_a_rejected_user_key_is_scrubbed_from_the_error_and_the_record(app_db, fake_llm) -> None:
    key = "sk-proj-" + "Zq9" * 10
    user = _store_key(_new_user(), key)
    masked = key[:8] + "*" * 20 + key[-4:]
    echo = {"error": {"message": f"Incorrect API key provided: {masked}.", "code": "invalid_api_key"}}
    fake_llm.reply_status(401, echo)
    with pytest.raises(LlmUnavailable) as caught:
        client = present(client_for_user(user))
        client.complete_json(purpose="sql", system="JSON", prompt="q", user_id=user.id, validate=dict)
    with session_scope() as session:
        (call,) = session.exec(select(LlmCall)).all()
    for text in (caught.value.detail, present(call.error)):
        assert key not in text and masked not in text and key[-4:] not in text


def test_a_user_key_works_without_any_server_configuration(app_db) -> None:
    user = _store_key(_new_user(), "sk-only-mine-123")
    client = client_for_user(user)
    assert client is not None
    assert client.base_url is None and client.model == "gpt-4o-mini"
    assert "sk-only-mine" not in repr(client)
    assert client_for_user(_new_user()) is None


def test_a_key_stored_under_an_older_server_secret_asks_to_be_entered_again(app_db, monkeypatch) -> None:
    user = _store_key(_new_user(), "sk-before-rotation")
    monkeypatch.setenv("LUMIERE_SECRET_KEY", "a-new-server-secret-after-rotation")
    reset_settings()
    with pytest.raises(BadRequest, match="enter it again"):
        client_for_user(user)
