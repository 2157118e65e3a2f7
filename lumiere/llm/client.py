"""The OpenAI-compatible client: JSON answers, our own retries, and one LlmCall row per HTTP call.

The SDK's retries are off (max_retries=0) so that every attempt is visible and recorded: a
failing request still leaves its rows, written in their own short sessions. The API key is
passed to the SDK only; it is scrubbed from every text we log, record or raise. Calls made with a
user's own key are recorded with `user_key=True` (their money, not the plan's LLM budget).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lumiere.config import Settings, get_settings
from lumiere.core.errors import Unavailable
from lumiere.db import session_scope
from lumiere.llm.costs import cost_usd, price_for
from lumiere.models import LlmCall, User
from lumiere.storage.crypto import decrypt_secret

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger("lumiere.llm")

T = TypeVar("T")

PURPOSES = frozenset({"sql", "chart", "insight", "chat", "test"})

# Local servers (Ollama, vLLM, LM Studio) take no key, but the SDK refuses to start without one.
_KEYLESS = "no-key-configured"
# Parameters some OpenAI-compatible servers or models reject; on a 400 that names one, it is dropped
# for that server and model and the call is repeated without it.
_OPTIONAL_PARAMS: dict[str, Any] = {"response_format": {"type": "json_object"}, "temperature": 0}
_unsupported_params: dict[tuple[str, str], set[str]] = {}
_unsupported_lock = threading.Lock()

_FENCED_RE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_KEY_ECHO_RES = (
    re.compile(r"(?i)(bearer\s+)\S+"),
    re.compile(r"(?i)(api[ _-]?key[^:\n]{0,30}:\s*)\S+"),
    re.compile(r"()\bsk-[A-Za-z0-9_*.\-]{4,}"),
)
_MAX_ERROR_CHARS = 1000
_MAX_BACKOFF_S = 20.0
# "Test connection": one tiny request, answered quickly or reported as failed.
_TEST_TIMEOUT_S = 10.0
_TEST_PARAMS: dict[str, Any] = {"max_tokens": 16}
_TEST_PROMPT = 'Connection test: reply with the JSON object {"ok": true} and nothing else.'


class LlmUnavailable(Unavailable):
    """The model could not give a usable answer (unreachable, refused, too slow, or malformed output).

    `outcome` is the last attempt's outcome; callers fall back to the built-in engine.
    """

    def __init__(self, detail: str, *, outcome: str) -> None:
        super().__init__(detail)
        self.outcome = outcome


@dataclass(frozen=True)
class ConnectionCheck:
    """What "Test connection" found: whether the model answered, and what to tell the user."""

    ok: bool
    detail: str


class InvalidOutput(ValueError):
    """The model's reply is not the JSON object we asked for."""


@dataclass
class _Failure:
    outcome: str
    error: str  # recorded (scrubbed) text
    retriable: bool
    retry_after: float | None = None
    status: int | None = None


@dataclass
class _RejectedParam:
    param: str
    error: str


class _MalformedCompletion(Exception):
    """A 200 response that lacks the parts of a chat completion."""


@dataclass
class _Reply:
    content: str | None
    finish_reason: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int


def _read_completion(completion: Any) -> _Reply:
    """The SDK builds responses leniently; check the parts we use are really there."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _MalformedCompletion("no choices")
    message = getattr(choices[0], "message", None)
    if message is None:
        raise _MalformedCompletion("no message")
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise _MalformedCompletion("the message content is not text")
    usage = getattr(completion, "usage", None)
    prompt_tokens = getattr(usage, "prompt_tokens", 0) if usage is not None else 0
    completion_tokens = getattr(usage, "completion_tokens", 0) if usage is not None else 0
    model = getattr(completion, "model", None)
    return _Reply(
        content=content,
        finish_reason=getattr(choices[0], "finish_reason", None),
        model=model if isinstance(model, str) else None,
        prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else 0,
        completion_tokens=completion_tokens if isinstance(completion_tokens, int) else 0,
    )


def _read_stream(chunks: Any, on_text: Callable[[str], None]) -> _Reply:
    """A streamed completion put together as `_read_completion` reads a whole one; `on_text` sees it grow."""
    parts: list[str] = []
    finish_reason: str | None = None
    model: str | None = None
    prompt_tokens = completion_tokens = 0
    for chunk in chunks:
        model = getattr(chunk, "model", None) or model
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
            completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        for choice in getattr(chunk, "choices", None) or []:
            finish_reason = getattr(choice, "finish_reason", None) or finish_reason
            text = getattr(getattr(choice, "delta", None), "content", None)
            if isinstance(text, str) and text:
                parts.append(text)
                on_text("".join(parts))
    if not parts and finish_reason is None:
        raise _MalformedCompletion("the stream held no choices")
    return _Reply(
        content="".join(parts),
        finish_reason=finish_reason,
        model=model if isinstance(model, str) else None,
        prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else 0,
        completion_tokens=completion_tokens if isinstance(completion_tokens, int) else 0,
    )


def extract_json_object(content: str | None) -> dict[str, Any]:
    """The JSON object in a reply: the whole text, a fenced block, or the outermost braces."""
    if not content or not content.strip():
        raise InvalidOutput("the reply is empty")
    text = content.strip()
    candidates = [text]
    candidates += [block.strip() for block in _FENCED_RE.findall(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise InvalidOutput("the reply is not a JSON object")


def _retry_after_seconds(headers: Any) -> float | None:
    """Retry-After as seconds (`retry-after-ms`, delta-seconds or an HTTP date), when the server sent one."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


class LlmClient:
    """One configured model (key, server, model name); `complete_json` is the only way prompts go out."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        model: str,
        settings: Settings | None = None,
        user_key: bool = False,
    ):
        self._settings = settings or get_settings()
        self._api_key = api_key or None
        self.base_url = base_url or None
        self.model = model
        self.user_key = user_key
        from openai import OpenAI  # the SDK (15 MB) loads only once a model is configured and used

        self._sdk = OpenAI(
            api_key=self._api_key or _KEYLESS,
            base_url=self.base_url or "https://api.openai.com/v1",
            timeout=self._settings.llm_timeout_s,
            max_retries=0,
        )

    def __repr__(self) -> str:  # never shows the key
        return f"LlmClient(model={self.model!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------------------------------------
    def complete_json(
        self,
        *,
        purpose: str,
        system: str,
        prompt: str,
        user_id: int | None,
        validate: Callable[[dict[str, Any]], T],
        on_text: Callable[[str], None] | None = None,
    ) -> T:
        """Ask for one JSON object and return `validate(obj)`.

        With `on_text`, the reply is streamed and `on_text` gets the text received so far as it grows
        (a retried call starts again from the beginning).

        `validate` raises ValueError (pydantic's ValidationError is one) on a bad shape; that reply is
        recorded as invalid_output and asked again with the reason. 429, 5xx, timeouts and
        connection errors are retried with exponential backoff and jitter (Retry-After wins) until
        llm_max_retries or llm_deadline_s runs out; 401/403 and other 4xx are not retried.
        Rows are written on their own connection: on SQLite, call this with no uncommitted
        writes in the caller's session, or the record waits for that session's lock.
        """
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {sorted(PURPOSES)}")
        settings = self._settings
        deadline = time.monotonic() + settings.llm_deadline_s
        base_messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        messages = list(base_messages)
        failures = 0
        last: _Failure | None = None
        while True:
            remaining = deadline - time.monotonic()
            if last is not None and remaining <= 0:
                break
            timeout = max(min(settings.llm_timeout_s, remaining), 0.05)
            started = time.monotonic()
            sent = self._send(messages, timeout, on_text)
            latency_ms = _elapsed_ms(started)
            if isinstance(sent, _RejectedParam):
                self._record(purpose, user_id, "request_error", latency_ms, 0, 0, sent.error)
                self._mark_unsupported(sent.param)
                continue
            if isinstance(sent, _Reply):
                usage = (sent.prompt_tokens, sent.completion_tokens)
                priced_model = self._priced_model(sent.model)
                try:
                    value = validate(_json_of(sent))
                except (ValueError, TypeError, KeyError) as error:
                    reason = self._scrub(_describe_invalid(error))
                    self._record(
                        purpose, user_id, "invalid_output", latency_ms, *usage, reason, priced_model=priced_model
                    )
                    last = _Failure("invalid_output", reason, retriable=True)
                    failures += 1
                    if failures > settings.llm_max_retries:
                        break
                    messages = [*base_messages, *_correction(sent.content, reason)]
                    continue
                self._record(purpose, user_id, "ok", latency_ms, *usage, None, priced_model=priced_model)
                return value
            last = sent
            self._record(purpose, user_id, last.outcome, latency_ms, 0, 0, last.error)
            failures += 1
            if not last.retriable or failures > settings.llm_max_retries:
                break
            delay = self._backoff(failures, last.retry_after)
            if time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
        raise self._unavailable(last)

    def check_connection(self, *, user_id: int | None) -> ConnectionCheck:
        """One tiny real request (a few tokens, a short timeout, no retries) to tell the user whether
        this key, server and model work; each attempt is recorded with purpose "test"."""
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": _TEST_PROMPT}]
        timeout = min(self._settings.llm_timeout_s, _TEST_TIMEOUT_S)
        while True:  # ends: each refused parameter is dropped, and a call without any cannot be refused for one
            started = time.monotonic()
            sent = self._send(messages, timeout, extra=_TEST_PARAMS)
            latency_ms = _elapsed_ms(started)
            if isinstance(sent, _RejectedParam):
                self._record("test", user_id, "request_error", latency_ms, 0, 0, sent.error)
                self._mark_unsupported(sent.param)
                continue
            if isinstance(sent, _Reply):
                self._record(
                    "test", user_id, "ok", latency_ms, sent.prompt_tokens, sent.completion_tokens, None,
                    priced_model=self._priced_model(sent.model),
                )
                return ConnectionCheck(True, f"Connected: the model {self.model} answered in {latency_ms:,} ms.")
            self._record("test", user_id, sent.outcome, latency_ms, 0, 0, sent.error)
            return ConnectionCheck(False, f"{self._unavailable(sent).detail} Details: {sent.error}")

    def _send(
        self,
        messages: list[ChatCompletionMessageParam],
        timeout: float,
        on_text: Callable[[str], None] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> _Reply | _Failure | _RejectedParam:
        """One HTTP call, its result sorted into a reply, a failure, or an optional parameter the
        server refused (`extra` are more parameters the call can do without)."""
        import openai  # loaded by __init__ already: this only names its error classes

        wanted = {**_OPTIONAL_PARAMS, **(extra or {})}
        params = {k: v for k, v in wanted.items() if k not in self._unsupported()}
        try:
            if on_text is not None:
                chunks = self._sdk.chat.completions.create(
                    model=self.model, messages=messages, timeout=timeout, stream=True,
                    stream_options={"include_usage": True}, **params,
                )
                return _read_stream(chunks, on_text)
            completion = self._sdk.chat.completions.create(
                model=self.model, messages=messages, timeout=timeout, **params
            )
            return _read_completion(completion)
        except openai.APIStatusError as error:
            rejected = self._rejected_optional_param(error, params)
            if rejected:
                return _RejectedParam(rejected, self._http_error_text(error))
            return self._classify_status(error)
        except openai.APITimeoutError:
            return _Failure("timeout", f"no answer within {timeout:.1f}s", retriable=True)
        except openai.APIConnectionError as error:
            cause = error.__cause__ or error
            return _Failure("connection_error", self._scrub(f"{type(cause).__name__}: {cause}"), retriable=True)
        except (openai.APIResponseValidationError, _MalformedCompletion, ValueError) as error:
            # A 200 whose body is not a chat completion (a proxy's HTML page, a truncated body ...).
            text = self._scrub(f"the server's reply is not a chat completion: {error}")
            return _Failure("server_error", text, retriable=True)

    # ------------------------------------------------------------------------------------------
    def _backoff(self, failures: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self._settings.llm_backoff_s * 2 ** (failures - 1), _MAX_BACKOFF_S)
        return ceiling * random.uniform(0.5, 1.0)

    def _classify_status(self, error: openai.APIStatusError) -> _Failure:
        status = error.status_code
        text = self._http_error_text(error)
        retry_after = _retry_after_seconds(getattr(error.response, "headers", None))
        if status in (401, 403):
            return _Failure("auth_error", text, retriable=False, status=status)
        if status == 429:
            out_of_quota = error.code == "insufficient_quota" or "quota" in (error.message or "").lower()
            return _Failure("rate_limited", text, retriable=not out_of_quota, retry_after=retry_after, status=status)
        if status == 408:
            return _Failure("timeout", text, retriable=True, retry_after=retry_after, status=status)
        if status >= 500 or status == 409:
            return _Failure("server_error", text, retriable=True, retry_after=retry_after, status=status)
        return _Failure("request_error", text, retriable=False, status=status)

    def _unavailable(self, failure: _Failure | None) -> LlmUnavailable:
        outcome = failure.outcome if failure else "timeout"
        status = failure.status if failure else None
        if outcome == "auth_error":
            detail = (
                f"The AI provider refused the API key (HTTP {status}). "
                "Check the key in your settings, or ask the administrator to check the server's key."
            )
        elif outcome == "rate_limited" and failure is not None and not failure.retriable:
            detail = "The AI provider account has run out of quota; add credit or use another key."
        elif outcome == "rate_limited":
            detail = "The AI provider is limiting requests right now; try again in a minute."
        elif outcome == "timeout":
            detail = "The AI model did not answer in time; try again in a moment."
        elif outcome == "server_error":
            detail = "The AI provider is having server errors; try again in a moment."
        elif outcome == "connection_error":
            detail = "The AI server could not be reached; check the LLM base URL or try again later."
        elif outcome == "invalid_output":
            detail = "The AI model did not return a usable answer; try rephrasing the question."
        else:
            detail = f"The AI provider rejected the request (HTTP {status}); check the configured model and base URL."
        return LlmUnavailable(detail, outcome=outcome)

    def _http_error_text(self, error: openai.APIStatusError) -> str:
        return self._scrub(f"HTTP {error.status_code}: {error.message}")

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "[redacted]")
        for pattern in _KEY_ECHO_RES:
            text = pattern.sub(r"\1[redacted]", text)
        return text[:_MAX_ERROR_CHARS]

    def _server_key(self) -> tuple[str, str]:
        return (self.base_url or "", self.model)

    def _unsupported(self) -> set[str]:
        with _unsupported_lock:
            return set(_unsupported_params.get(self._server_key(), ()))

    def _mark_unsupported(self, param: str) -> None:
        with _unsupported_lock:
            _unsupported_params.setdefault(self._server_key(), set()).add(param)
        log.info(
            "LLM server %s rejects %r for model %r; sending requests without it.", self.base_url, param, self.model
        )

    @staticmethod
    def _rejected_optional_param(error: openai.APIStatusError, sent: dict[str, Any]) -> str | None:
        if error.status_code not in (400, 422):
            return None
        said = f"{error.param or ''} {error.message or ''}".lower()
        for param in sent:
            if param in said:
                return param
        return None

    def _priced_model(self, answered_model: str | None) -> str:
        """Price by the configured name; fall back to the name the server answered with (deployments, aliases)."""
        table = self._settings.llm_price_table
        if price_for(self.model, table) is None and answered_model and price_for(answered_model, table) is not None:
            return answered_model
        return self.model

    def _record(
        self,
        purpose: str,
        user_id: int | None,
        outcome: str,
        latency_ms: int,
        prompt_tokens: int,
        completion_tokens: int,
        error: str | None,
        *,
        priced_model: str | None = None,
    ) -> None:
        """One row per HTTP call, in its own session so the caller's rollback cannot erase it."""
        cost = cost_usd(priced_model or self.model, prompt_tokens, completion_tokens, self._settings.llm_price_table)
        row = LlmCall(
            user_id=user_id,
            purpose=purpose,
            model=self.model[:100],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            latency_ms=latency_ms,
            user_key=self.user_key,
            outcome=outcome,
            error=error,
        )
        level = logging.INFO if outcome == "ok" else logging.WARNING
        log.log(
            level,
            "LLM call purpose=%s model=%s outcome=%s latency_ms=%d tokens=%d+%d cost_usd=%.6f%s",
            purpose, self.model, outcome, latency_ms, prompt_tokens, completion_tokens, cost,
            f" error={error}" if error else "",
        )
        try:
            with session_scope() as session:
                session.add(row)
        except Exception:  # bookkeeping must not turn an answer into a failure; the log keeps the trace
            log.exception("Could not record an LLM call (purpose=%s outcome=%s)", purpose, outcome)


def _json_of(reply: _Reply) -> dict[str, Any]:
    if reply.finish_reason == "length":
        raise InvalidOutput("the reply was cut off at the token limit")
    return extract_json_object(reply.content)


def _correction(bad_content: str | None, reason: str) -> list[ChatCompletionMessageParam]:
    """The unusable reply and why, so the next answer can fix it rather than repeat it."""
    return [
        {"role": "assistant", "content": bad_content or ""},
        {
            "role": "user",
            "content": f"That reply was not usable ({reason}). Answer again with only the JSON object described above.",
        },
    ]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe_invalid(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):  # pydantic ValidationError: short field-by-field reasons, no echo of the input
        try:
            parts = [f"{'.'.join(str(p) for p in e.get('loc', ())) or 'reply'}: {e.get('msg', '')}" for e in errors()]
        except (TypeError, ValueError):
            parts = []
        if parts:
            return "; ".join(parts[:5])
    if isinstance(error, KeyError):
        return f"missing key {error}"
    return str(error) or type(error).__name__


def client_for_user(user: User | None, settings: Settings | None = None) -> LlmClient | None:
    """The user's own key (with their base URL and model, each falling back to the server's) if they
    stored one, else the server's configuration, else None (built-in engine)."""
    settings = settings or get_settings()
    if user is not None and user.llm_api_key_encrypted:
        return LlmClient(
            api_key=decrypt_secret(user.llm_api_key_encrypted),
            base_url=user.llm_base_url or settings.llm_base_url,
            model=user.llm_model or settings.llm_model,
            settings=settings,
            user_key=True,
        )
    if not settings.llm_configured:
        return None
    server_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LlmClient(api_key=server_key, base_url=settings.llm_base_url, model=settings.llm_model, settings=settings)
