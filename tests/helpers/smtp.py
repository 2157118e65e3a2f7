"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, and the settings that point Lumiere at it.

`smtp_server` collects every message it accepts, parsed; `mail_settings` sets LUMIERE_SMTP_* to it
(no TLS on loopback) with short retry waits, so the job queue's retries run within a test.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lumiere.config import reset_settings


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Collector:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._server.lock:
            self._server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd in its own thread; `received` grows as messages arrive."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """At least `count` messages, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                return self.messages()
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages())}")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def point_mail_at(monkeypatch: pytest.MonkeyPatch, port: int, **settings: str) -> None:
    """LUMIERE_SMTP_* for a plain SMTP server on 127.0.0.1:`port`, and quick job retries."""
    values = {
        "LUMIERE_SMTP_HOST": "127.0.0.1", "LUMIERE_SMTP_PORT": str(port), "LUMIERE_SMTP_TLS": "none",
        "LUMIERE_SMTP_TIMEOUT_S": "5", "LUMIERE_SMTP_FROM": "Lumiere <reports@lumiere.test>",
        "LUMIERE_JOB_RETRIES": "2", "LUMIERE_JOB_RETRY_DELAY_S": "0.2",
        **{f"LUMIERE_{name.upper()}": value for name, value in settings.items()},
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    reset_settings()


@pytest.fixture
def mail_settings(app_db: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    point_mail_at(monkeypatch, smtp_server.port)
    return smtp_server
