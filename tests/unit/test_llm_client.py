"""The LLM client through the real openai SDK against the local OpenAI-compatible server.

Every HTTP call must leave one LlmCall row (on SQLite and PostgreSQL), retries must follow the
rules (backoff, Retry-After, deadline), and the API key must never show up anywhere but the
Authorization header.
"""

from __future__ import annotations

import logging
import socket
import time
from itertools import pairwise

import pytest
from openai import OpenAI
from pydantic import BaseModel
from sqlmodel import col, select

from lumiere.config import get_settings, reset_settings
from lumiere.db import session_scope
from lumiere.llm.client import LlmClient, LlmUnavailable, client_for_user, extract_json_object
from lumiere.models import LlmCall, User
from tests.helpers.rows import present


class Verdict(BaseModel):
    answer: int


def _ask(client: LlmClient, *, purpose: str = "sql", user_id: int | None = None) -> Verdict:
    return client.complete_json(
        purpose=purpose,
        system="Reply in JSON.",
        prompt="What is 6 x 7?",
        user_id=user_id,
        validate=Verdict.model_validate,
    )


def _calls() -> list[LlmCall]:
    with session_scope() as session:
        return list(session.exec(select(LlmCall).order_by(col(LlmCall.id))).all())


def _user() -> User:
    with session_scope() as session:
        user = User(email=f"llm{time.monotonic_ns()}@example.com", name="Llm", password_hash="x")
        session.add(user)
        session.flush()
        return user


def _server_client() -> LlmClient:
    client = client_for_user(None)
    assert client is not None
    return client


def _tighten(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"LUMIERE_{name.upper()}", value)
    reset_settings()


def test_success_returns_the_validated_object_and_records_usage_and_cost(app_db, fake_llm) -> None:
    user = _user()
    fake_llm.reply_json({"answer": 42}, prompt_tokens=2000, completion_tokens=500)
    assert _ask(_server_client(), purpose="insight", user_id=user.id) == Verdict(answer=42)

    (request,) = fake_llm.chat_requests
    assert request.headers["authorization"] == f"Bearer {fake_llm.api_key}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert request.messages[1]["content"] == "What is 6 x 7?"
    assert request.headers["x-stainless-retry-count"] == "0"  # the SDK does not retry on its own

    (call,) = _calls()
    assert (call.user_id, call.purpose, call.model, call.outcome) == (user.id, "insight", "gpt-4o-mini", "ok")
    assert (call.prompt_tokens, call.completion_tokens) == (2000, 500)
    # gpt-4o-mini: $0.15 per 1M prompt tokens, $0.60 per 1M completion tokens
    assert call.cost_usd == pytest.approx(2000 * 0.15 / 1e6 + 500 * 0.60 / 1e6)
    assert call.error is None
    assert 0 <= call.latency_ms < 2000


def test_cost_follows_the_operator_price_table(app_db, fake_llm, monkeypatch) -> None:
    _tighten(monkeypatch, llm_prices='{"gpt-4o-mini": [1.0, 4.0]}')
    fake_llm.reply_json({"answer": 1}, prompt_tokens=3000, completion_tokens=1000)
    _ask(_server_client())
    assert _calls()[0].cost_usd == pytest.approx(3000 * 1.0 / 1e6 + 1000 * 4.0 / 1e6)


def test_unknown_model_costs_nothing_and_says_so_in_the_log(app_db, fake_llm, monkeypatch, caplog) -> None:
    model = f"local-llama-{time.monotonic_ns()}"
    _tighten(monkeypatch, llm_model=model)
    fake_llm.reply_json({"answer": 1}, prompt_tokens=5000, completion_tokens=900)
    with caplog.at_level(logging.WARNING, logger="lumiere.llm"):
        _ask(_server_client())
    (call,) = _calls()
    assert (call.model, call.prompt_tokens, call.cost_usd) == (model, 5000, 0.0)
    assert any(model in record.getMessage() and "No price" in record.getMessage() for record in caplog.records)


def test_a_dated_snapshot_in_the_answer_is_priced_when_the_configured_name_is_not(app_db, fake_llm, monkeypatch):
    _tighten(monkeypatch, llm_model="my-deployment")
    fake_llm.reply_json({"answer": 1}, prompt_tokens=1000, completion_tokens=0, model="gpt-4o-2024-08-06")
    _ask(_server_client())
    assert _calls()[0].cost_usd == pytest.approx(1000 * 2.50 / 1e6)


def test_malformed_json_is_recorded_then_asked_again_with_the_reason(app_db, fake_llm) -> None:
    fake_llm.reply_text("Sure! The answer is {answer: 42", completion_tokens=12)
    fake_llm.reply_json({"answer": "not a number"}, completion_tokens=8)
    fake_llm.reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42

    first, second, third = fake_llm.chat_requests
    assert len(first.messages) == 2
    assert second.messages[2] == {"role": "assistant", "content": "Sure! The answer is {answer: 42"}
    assert "not a JSON object" in second.messages[3]["content"]
    assert "answer" in third.messages[3]["content"] and "integer" in third.messages[3]["content"]
    calls = _calls()
    assert [c.outcome for c in calls] == ["invalid_output", "invalid_output", "ok"]
    assert calls[0].completion_tokens == 12 and calls[0].cost_usd > 0  # a bad answer still costs money
    assert "not a JSON object" in present(calls[0].error)
    assert "answer" in present(calls[1].error)


def test_json_in_a_fenced_block_or_with_prose_around_it_is_accepted(app_db, fake_llm) -> None:
    fake_llm.reply_text('Here you go:\n```json\n{"answer": 42}\n```\nAnything else?')
    fake_llm.reply_text('The result is {"answer": 7} as requested.')
    client = _server_client()
    assert _ask(client).answer == 42
    assert _ask(client).answer == 7
    assert [c.outcome for c in _calls()] == ["ok", "ok"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "empty"), ("[1, 2]", "not a JSON object"), ('{"answer": 1', "not a JSON object"), ("no json", "not a JSON")],
)
def test_extract_json_object_refuses_what_is_not_an_object(content: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        extract_json_object(content)


def test_invalid_output_every_time_ends_in_llm_unavailable(app_db, fake_llm) -> None:
    for _ in range(4):
        fake_llm.reply_json({"wrong": "shape"})
    with pytest.raises(LlmUnavailable) as caught:
        _ask(_server_client())
    assert caught.value.outcome == "invalid_output" and caught.value.status_code == 503
    assert len(fake_llm.chat_requests) == 4  # 1 + LUMIERE_LLM_MAX_RETRIES
    assert [c.outcome for c in _calls()] == ["invalid_output"] * 4


def test_a_cut_off_reply_is_invalid_output(app_db, fake_llm) -> None:
    fake_llm.reply_text('{"answer": 4', finish_reason="length")
    fake_llm.reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    calls = _calls()
    assert calls[0].outcome == "invalid_output" and "token limit" in present(calls[0].error)


def test_429_waits_for_retry_after_then_succeeds(app_db, fake_llm) -> None:
    fake_llm.reply_status(
        429,
        {"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}},
        headers={"Retry-After": "1"},
    )
    fake_llm.reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    first, second = fake_llm.chat_requests
    assert second.received_at - first.received_at >= 0.95
    calls = _calls()
    assert [c.outcome for c in calls] == ["rate_limited", "ok"]
    assert "429" in present(calls[0].error) and "Rate limit" in present(calls[0].error)


def test_retry_after_in_milliseconds_is_honoured(app_db, fake_llm) -> None:
    fake_llm.reply_status(429, headers={"retry-after-ms": "600"})
    fake_llm.reply_json({"answer": 42})
    _ask(_server_client())
    first, second = fake_llm.chat_requests
    assert 0.55 <= second.received_at - first.received_at < 2.0


def test_retry_after_beyond_the_deadline_gives_up_at_once(app_db, fake_llm) -> None:
    fake_llm.reply_status(429, headers={"Retry-After": "60"})
    started = time.monotonic()
    with pytest.raises(LlmUnavailable, match="limiting requests") as caught:
        _ask(_server_client())
    assert time.monotonic() - started < 1.5
    assert caught.value.outcome == "rate_limited"
    assert [c.outcome for c in _calls()] == ["rate_limited"]
    assert fake_llm.pending == 0


def test_exhausted_quota_is_not_retried(app_db, fake_llm) -> None:
    fake_llm.reply_status(
        429,
        {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
    )
    with pytest.raises(LlmUnavailable, match="quota"):
        _ask(_server_client())
    assert len(fake_llm.chat_requests) == 1


def test_server_errors_back_off_exponentially_then_give_up(app_db, fake_llm, monkeypatch) -> None:
    _tighten(monkeypatch, llm_backoff_s="0.2")
    for _ in range(4):
        fake_llm.reply_status(500)
    with pytest.raises(LlmUnavailable, match="server errors") as caught:
        _ask(_server_client())
    assert caught.value.outcome == "server_error"
    times = [r.received_at for r in fake_llm.chat_requests]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # waits of 0.2, 0.4, 0.8 s, each with jitter between half and all of it
    for gap, ceiling in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert ceiling * 0.5 - 0.02 <= gap <= ceiling + 0.3
    assert [c.outcome for c in _calls()] == ["server_error"] * 4


def test_a_server_error_then_success(app_db, fake_llm) -> None:
    fake_llm.reply_status(503, headers={"Retry-After": "0"}).reply_status(502).reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    assert [c.outcome for c in _calls()] == ["server_error", "server_error", "ok"]


def test_timeouts_are_recorded_and_the_deadline_holds(app_db, fake_llm, monkeypatch) -> None:
    _tighten(monkeypatch, llm_timeout_s="0.4", llm_deadline_s="1.5", llm_max_retries="10")
    for _ in range(10):
        fake_llm.reply_delay(3.0, {"answer": 42})
    started = time.monotonic()
    with pytest.raises(LlmUnavailable, match="did not answer in time") as caught:
        _ask(_server_client())
    elapsed = time.monotonic() - started
    assert 1.3 <= elapsed <= 1.5 + 0.5
    assert caught.value.outcome == "timeout"
    calls = _calls()
    assert len(calls) == len(fake_llm.chat_requests) >= 3
    assert {c.outcome for c in calls} == {"timeout"}
    # Each call was cut at its 0.4 s timeout, long before the 3 s reply (slack for a busy CI machine).
    assert all(c.latency_ms < 1500 for c in calls)


def test_a_slow_first_answer_then_a_quick_one(app_db, fake_llm, monkeypatch) -> None:
    _tighten(monkeypatch, llm_timeout_s="0.3")
    fake_llm.reply_delay(1.0, {"answer": 1}).reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    timed_out, answered = _calls()
    assert (timed_out.outcome, answered.outcome) == ("timeout", "ok")
    assert 250 <= timed_out.latency_ms <= 900


def test_401_is_not_retried_and_the_key_leaks_nowhere(app_db, fake_llm, caplog) -> None:
    echo = f"Incorrect API key provided: {fake_llm.api_key}. Find your key at https://example.invalid/keys."
    fake_llm.reply_status(401, {"error": {"message": echo, "type": "invalid_request_error", "code": "invalid_api_key"}})
    caplog.set_level(logging.DEBUG)
    client = _server_client()
    with pytest.raises(LlmUnavailable) as caught:
        _ask(client)
    error = caught.value
    assert error.outcome == "auth_error" and error.status_code == 503
    assert "API key" in error.detail and "401" in error.detail
    assert len(fake_llm.chat_requests) == 1
    (call,) = _calls()
    assert call.outcome == "auth_error" and "401" in present(call.error)
    key = fake_llm.api_key
    for text in (error.detail, str(error), repr(error.to_body()), present(call.error), caplog.text, repr(client)):
        assert key not in text
        assert key[-12:] not in text
    assert "[redacted]" in present(call.error)


def test_403_is_an_auth_error_too(app_db, fake_llm) -> None:
    fake_llm.reply_status(403, {"error": {"message": "Country not supported", "type": "forbidden"}})
    with pytest.raises(LlmUnavailable) as caught:
        _ask(_server_client())
    assert caught.value.outcome == "auth_error"
    assert len(fake_llm.chat_requests) == 1


def test_a_bad_model_name_is_a_request_error_without_retries(app_db, fake_llm) -> None:
    fake_llm.reply_status(404, {"error": {"message": "The model `gpt-9` does not exist", "type": "invalid_request"}})
    with pytest.raises(LlmUnavailable, match="check the configured model") as caught:
        _ask(_server_client())
    assert caught.value.outcome == "request_error"
    assert [c.outcome for c in _calls()] == ["request_error"]


def test_a_server_without_json_mode_is_asked_again_without_it_and_remembered(app_db, fake_llm) -> None:
    fake_llm.reply_status(
        400,
        {"error": {"message": "response_format of type json_object is not supported", "param": "response_format",
                   "type": "invalid_request_error"}},
    )
    fake_llm.reply_json({"answer": 42}).reply_json({"answer": 43})
    client = _server_client()
    assert _ask(client).answer == 42
    assert _ask(_server_client()).answer == 43
    first, second, third = fake_llm.chat_requests
    assert "response_format" in first.body
    assert "response_format" not in second.body and "response_format" not in third.body
    assert second.body["temperature"] == 0
    assert [c.outcome for c in _calls()] == ["request_error", "ok", "ok"]


def test_a_model_that_rejects_temperature_gets_requests_without_it(app_db, fake_llm, monkeypatch) -> None:
    _tighten(monkeypatch, llm_max_retries="0", llm_model="gpt-5-mini")
    fake_llm.reply_status(
        400,
        {"error": {"message": "Unsupported value: 'temperature' does not support 0 with this model.",
                   "param": "temperature", "type": "invalid_request_error"}},
    )
    fake_llm.reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    assert "temperature" not in fake_llm.chat_requests[1].body


def test_a_dropped_connection_is_retried(app_db, fake_llm) -> None:
    fake_llm.reply_disconnect().reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    assert [c.outcome for c in _calls()] == ["connection_error", "ok"]


def test_an_unreachable_server_ends_in_llm_unavailable(app_db, fake_llm) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = LlmClient(api_key="k-123456", base_url=f"http://127.0.0.1:{closed_port}/v1", model="gpt-4o-mini")
    with pytest.raises(LlmUnavailable, match="could not be reached") as caught:
        _ask(client)
    assert caught.value.outcome == "connection_error"
    assert [c.outcome for c in _calls()] == ["connection_error"] * 4


def test_a_200_that_is_not_a_chat_completion_is_a_server_error(app_db, fake_llm) -> None:
    fake_llm.reply_raw(b"<html>proxy error</html>").reply_raw(b'{"status": "ok"}').reply_json({"answer": 42})
    assert _ask(_server_client()).answer == 42
    assert [c.outcome for c in _calls()] == ["server_error", "server_error", "ok"]


def test_records_survive_the_callers_rollback(app_db, fake_llm) -> None:
    fake_llm.reply_status(401)
    with pytest.raises(LlmUnavailable), session_scope() as session:
        session.exec(select(User)).all()
        _ask(_server_client())
    assert [c.outcome for c in _calls()] == ["auth_error"]


def test_purpose_must_be_known(app_db, fake_llm) -> None:
    with pytest.raises(ValueError, match="purpose"):
        _ask(_server_client(), purpose="poetry")
    assert fake_llm.chat_requests == []


def test_no_llm_configured_means_no_client(app_db) -> None:
    assert not get_settings().llm_configured
    assert client_for_user(None) is None


def test_the_test_server_lists_its_model_like_an_openai_server(fake_llm) -> None:
    sdk = OpenAI(api_key=fake_llm.api_key, base_url=fake_llm.url, max_retries=0)
    assert [model.id for model in sdk.models.list()] == ["gpt-4o-mini"]
    assert fake_llm.requests[-1].method == "GET" and fake_llm.requests[-1].path == "/v1/models"
