"""A user's own LLM: base URL and model checked on their text, used with the user's key only,
calls with it recorded as the user's, and "Test connection" as one tiny real request."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from lumiere.config import reset_settings
from lumiere.core.errors import BadRequest, Invalid
from lumiere.db import session_scope
from lumiere.llm.client import client_for_user
from lumiere.models import LlmCall, User
from lumiere.services.auth import register_user
from lumiere.services.llm_access import llm_client
from lumiere.services.llm_keys import (
    check_llm_connection,
    check_user_llm_host,
    clear_user_llm_key,
    llm_settings,
    update_llm_settings,
    validate_base_url,
    validate_model,
)
from tests.helpers.rows import present, stored

GOOD_URLS = [
    "https://api.openai.com/v1",
    "http://llm.example.com:8080/openai/v1/",
    "https://[2606:4700::1111]/v1",
    "https://8.8.8.8/v1",
]
REFUSED_URLS = [
    ("", "Enter the API's base URL"),
    ("ftp://llm.example.com/v1", "starts with https://"),
    ("api.openai.com/v1", "starts with https://"),
    ("https:///v1", "starts with https://"),
    ("https://user:pass@llm.example.com/v1", "Leave credentials out"),
    ("https://sk-key@llm.example.com/v1", "Leave credentials out"),
    ("https://llm.example.com/v1?key=abc", "ends with its path"),
    ("https://llm.example.com:99999/v1", "not a valid URL"),
    ("https://llm.example.com/v 1", "cannot contain spaces"),
    ("https://" + "a" * 500 + ".com", "at most 500"),
    ("http://localhost:11434/v1", "this machine"),
    ("http://ollama.localhost/v1", "this machine"),
    ("http://127.0.0.1:8000/v1", "loopback"),
    ("http://[::1]:8000/v1", "loopback"),
    ("http://10.1.2.3/v1", "private"),
    ("http://192.168.0.10/v1", "private"),
    ("http://169.254.169.254/latest", "link-local"),
    ("http://[fe80::1]/v1", "link-local"),
    ("http://[::ffff:127.0.0.1]/v1", "loopback"),
    ("http://2130706433/v1", "loopback"),  # 127.0.0.1 written as one number
    ("http://0x7f.1/v1", "loopback"),
]


@pytest.fixture
def user(db_session) -> User:
    made = register_user(db_session, email="own-llm@example.com", password="password-1", name="Own LLM")
    db_session.commit()
    return made


@pytest.mark.parametrize("url", GOOD_URLS)
def test_public_http_urls_are_accepted(app_db, url):
    assert validate_base_url(f"  {url} ") == url


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_bad_or_private_urls_are_refused_on_their_text(app_db, url, message):
    with pytest.raises(Invalid, match=message) as caught:
        validate_base_url(url)
    assert caught.value.extra["field"] == "base_url"


def test_private_hosts_are_accepted_when_the_operator_allows_them(app_db, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    assert validate_base_url("http://localhost:11434/v1") == "http://localhost:11434/v1"
    with pytest.raises(Invalid, match="Leave credentials out"):
        validate_base_url("http://user:pw@localhost:11434/v1")


@pytest.mark.parametrize(
    ("model", "message"), [("", "Enter the model"), ("  ", "Enter the model"), (None, "Enter the model"),
                           ("m" * 101, "at most 100"), ("gpt\n4", "control characters")]
)
def test_model_names_are_checked(model, message):
    with pytest.raises(Invalid, match=message):
        validate_model(model)
    assert validate_model(" llama3.1:8b-instruct ") == "llama3.1:8b-instruct"


def test_settings_are_changed_field_by_field_and_the_key_is_never_shown(db_session, user):
    view = update_llm_settings(db_session, user, api_key="sk-mine-123", base_url="https://llm.example.com/v1")
    assert (view.has_key, view.base_url, view.model) == (True, "https://llm.example.com/v1", None)
    assert "sk-mine" not in repr(view) and "sk-mine" not in str(present(user.llm_api_key_encrypted))
    view = update_llm_settings(db_session, user, model="gpt-4.1-mini")
    assert (view.base_url, view.model) == ("https://llm.example.com/v1", "gpt-4.1-mini")
    with pytest.raises(Invalid):  # one bad field: nothing of the request is stored
        update_llm_settings(db_session, user, api_key="sk-other", model="x" * 200)
    assert llm_settings(user).model == "gpt-4.1-mini"
    view = update_llm_settings(db_session, user, base_url="", model=" ")
    assert (view.has_key, view.base_url, view.model) == (True, None, None)
    clear_user_llm_key(db_session, user)
    assert llm_settings(user) == llm_settings(user).__class__(has_key=False, base_url=None, model=None)


def test_the_users_url_and_model_apply_with_their_key_and_the_calls_are_theirs(db_session, user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    assert present(client_for_user(user)).user_key is False  # the server's key
    update_llm_settings(db_session, user, base_url=fake_llm.url, model="my-local-model")
    assert present(client_for_user(user)).model == fake_llm.model  # no key of their own: the server's LLM
    update_llm_settings(db_session, user, api_key="sk-user-own-key-1")
    db_session.commit()
    client = present(client_for_user(user))
    assert (client.base_url, client.model, client.user_key) == (fake_llm.url, "my-local-model", True)
    fake_llm.reply_json({"ok": True})
    client.complete_json(purpose="sql", system="JSON", prompt="q", user_id=user.id, validate=dict)
    assert fake_llm.chat_requests[-1].body["model"] == "my-local-model"
    assert fake_llm.chat_requests[-1].headers["authorization"] == "Bearer sk-user-own-key-1"
    with session_scope() as session:
        (call,) = session.exec(select(LlmCall)).all()
    assert call.user_key is True and call.model == "my-local-model"


def test_test_connection_makes_one_tiny_request_and_reports_ok(db_session, user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    with pytest.raises(Invalid, match="Save your API key first"):
        check_llm_connection(db_session, user)
    update_llm_settings(db_session, user, api_key="sk-test-own", base_url=fake_llm.url, model="tiny")
    db_session.commit()
    fake_llm.reply_json({"ok": True})
    check = check_llm_connection(db_session, user)
    assert check.ok and "tiny" in check.detail
    (request,) = fake_llm.chat_requests
    assert request.body["max_tokens"] == 16 and request.headers["authorization"] == "Bearer sk-test-own"
    with session_scope() as session:
        (call,) = session.exec(select(LlmCall)).all()
    assert (call.purpose, call.outcome, call.user_key, call.user_id) == ("test", "ok", True, user.id)


def test_test_connection_reports_the_scrubbed_error(db_session, user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    key = "sk-proj-" + "Qw7" * 10
    update_llm_settings(db_session, user, api_key=key, base_url=fake_llm.url)
    db_session.commit()
    fake_llm.reply_status(401, {"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}})
    check = check_llm_connection(db_session, user)
    assert not check.ok and "refused the API key (HTTP 401)" in check.detail
    assert key not in check.detail and "[redacted]" in check.detail
    assert len(fake_llm.chat_requests) == 1  # no retries for a test


def test_a_server_refusing_max_tokens_is_asked_again_without_it(db_session, user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    update_llm_settings(db_session, user, api_key="sk-reasoning", base_url=fake_llm.url, model="reasoner")
    db_session.commit()
    refusal = {"error": {"message": "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens'.",
                         "param": "max_tokens", "code": "unsupported_parameter"}}
    fake_llm.reply_status(400, refusal).reply_json({"ok": True})
    assert check_llm_connection(db_session, user).ok
    assert ["max_tokens" in request.body for request in fake_llm.chat_requests] == [True, False]
    with session_scope() as session:
        outcomes = session.exec(select(LlmCall.outcome).order_by(col(LlmCall.id))).all()
    assert outcomes == ["request_error", "ok"]


def test_a_name_that_resolves_to_a_private_address_is_refused_before_any_call(db_session, user):
    update_llm_settings(db_session, user, api_key="sk-own", base_url="https://llm.example.com/v1")
    db_session.commit()
    check_user_llm_host(user, resolve=lambda _name: ["93.184.215.14"])
    with pytest.raises(BadRequest, match="link-local"):
        check_user_llm_host(user, resolve=lambda _name: ["93.184.215.14", "169.254.169.254"])
    with pytest.raises(BadRequest, match="could not be resolved"):
        check_user_llm_host(user, resolve=lambda _name: (_ for _ in ()).throw(OSError("no such host")))


def test_the_host_check_guards_every_call_with_the_users_url(db_session, user, monkeypatch):
    """A URL saved while the operator allowed private hosts stops working once they no longer do."""
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    update_llm_settings(db_session, user, api_key="sk-own", base_url="http://localhost:11434/v1")
    db_session.commit()
    assert present(llm_client(db_session, user)).base_url == "http://localhost:11434/v1"
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "false")
    reset_settings()
    with pytest.raises(BadRequest, match="loopback"):
        llm_client(db_session, stored(db_session, User, user.id))
