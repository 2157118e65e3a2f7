"""A real OpenAI-compatible HTTP server on 127.0.0.1 that stands in for a hosted LLM in tests.

It answers POST /v1/chat/completions from a script (a queue of replies) and GET /v1/models, and
records every request (path, headers, JSON body) so tests can assert on prompts and keys. When
the script is empty it answers 500 "script exhausted", so an unexpected call shows up as a failure.
"""

from __future__ import annotations

import itertools
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lumiere.config import reset_settings

_ids = itertools.count(1)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    received_at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages", []))

    @property
    def prompt_text(self) -> str:
        """Every message's content joined: what the model was shown."""
        return "\n".join(str(message.get("content", "")) for message in self.messages)


@dataclass
class Reply:
    """One scripted answer. `content` (str) becomes a chat.completion; `status` != 200 sends `body` raw."""

    content: str | None = None
    compute: Callable[[dict[str, Any]], Any] | None = None  # request body -> dict (JSON content) or str
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    disconnect: bool = False
    prompt_tokens: int = 120
    completion_tokens: int = 30
    finish_reason: str = "stop"
    model: str | None = None
    raw: bytes | None = None  # a 200 response body sent as is (not a chat.completion)


class FakeLlm:
    """The script and the log of requests; the fixture owns the server."""

    def __init__(self, api_key: str, model: str) -> None:
        self.url = ""  # http://127.0.0.1:<port>/v1 once serving, as LUMIERE_LLM_BASE_URL
        self.api_key = api_key
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()

    # --- scripting ---------------------------------------------------------------------------
    def reply_json(self, content: dict[str, Any], **options: Any) -> FakeLlm:
        return self._push(Reply(content=json.dumps(content), **options))

    def reply_text(self, text: str, **options: Any) -> FakeLlm:
        return self._push(Reply(content=text, **options))

    def reply_with(self, compute: Callable[[dict[str, Any]], Any], **options: Any) -> FakeLlm:
        return self._push(Reply(compute=compute, **options))

    def reply_status(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None) -> FakeLlm:
        if body is None:
            body = {"error": {"message": f"scripted HTTP {status}", "type": "server_error", "code": None}}
        return self._push(Reply(status=status, body=body, headers=headers or {}))

    def reply_delay(self, seconds: float, content: dict[str, Any] | None = None) -> FakeLlm:
        return self._push(Reply(content=json.dumps(content or {}), delay_s=seconds))

    def reply_disconnect(self) -> FakeLlm:
        return self._push(Reply(disconnect=True))

    def reply_raw(self, raw: bytes) -> FakeLlm:
        return self._push(Reply(raw=raw))

    def _push(self, reply: Reply) -> FakeLlm:
        with self._lock:
            self._script.append(reply)
        return self

    def next_reply(self) -> Reply | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]


def _completion(body: dict[str, Any], reply: Reply, content: str, default_model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or body.get("model") or default_model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _make_handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # silences per-request stderr lines
            return

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, completion: dict[str, Any]) -> None:
            """The completion as server-sent events: its content in small deltas, then usage, then [DONE]."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            content = completion["choices"][0]["message"]["content"]
            base = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
            pieces = [content[start : start + 8] for start in range(0, len(content), 8)]
            for index, piece in enumerate(pieces):
                delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
                event = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            finish = completion["choices"][0]["finish_reason"]
            ending = [
                base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                base | {"choices": [], "usage": completion["usage"]},
            ]
            for event in ending:
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _record(self, body: dict[str, Any] | None) -> None:
            fake.record(
                RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    received_at=time.monotonic(),
                )
            )

        def do_GET(self) -> None:  # http.server's naming
            self._record(None)
            if self.path.rstrip("/").endswith("/models"):
                models = [{"id": fake.model, "object": "model", "owned_by": "test"}]
                self._send_json(200, {"object": "list", "data": models})
            else:
                self._send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            self._record(body)
            if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
                self._send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error"}})
                return
            reply = fake.next_reply()
            if reply is None:
                self._send_json(500, {"error": {"message": "fake LLM script exhausted", "type": "server_error"}})
                return
            if reply.delay_s:
                time.sleep(reply.delay_s)
            try:
                if reply.disconnect:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if reply.raw is not None:
                    self._send_json(200, reply.raw)
                    return
                if reply.status != 200:
                    self._send_json(reply.status, reply.body, reply.headers)
                    return
                content = reply.content
                if reply.compute is not None:
                    computed = reply.compute(body)
                    content = computed if isinstance(computed, str) else json.dumps(computed)
                if body.get("stream"):
                    self._send_stream(_completion(body, reply, content or "", fake.model))
                    return
                self._send_json(200, _completion(body, reply, content or "", fake.model), reply.headers)
            except (BrokenPipeError, ConnectionResetError, OSError):
                self.close_connection = True  # the client gave up (timeout); nothing to answer

    return Handler


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLlm]:
    """Starts the server and points the LLM settings at it (short timeouts, fast backoff)."""
    fake = FakeLlm(api_key="test-key-" + secrets.token_hex(12), model="gpt-4o-mini")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, name="fake-llm", daemon=True)
    thread.start()
    monkeypatch.setenv("LUMIERE_LLM_BASE_URL", fake.url)
    monkeypatch.setenv("LUMIERE_LLM_API_KEY", fake.api_key)
    monkeypatch.setenv("LUMIERE_LLM_MODEL", fake.model)
    monkeypatch.setenv("LUMIERE_LLM_TIMEOUT_S", "2")
    monkeypatch.setenv("LUMIERE_LLM_DEADLINE_S", "8")
    monkeypatch.setenv("LUMIERE_LLM_MAX_RETRIES", "3")
    monkeypatch.setenv("LUMIERE_LLM_BACKOFF_S", "0.05")
    reset_settings()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        reset_settings()
