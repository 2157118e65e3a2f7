"""The SMTP transport against real aiosmtpd servers on 127.0.0.1: STARTTLS, TLS and plain; login;
certificates verified; 5xx refusals per recipient, 4xx and outages as "try again later"."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lumiere.config import reset_settings
from lumiere.services.mail import mailer
from tests.helpers.smtp import free_port


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Handler:
    """Accepts mail, refuses some recipients for good (550) and defers others (451)."""

    def __init__(self) -> None:
        self.delivered: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.delivered.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Accepted"


def _login(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and data.login == b"reports" and data.password == b"s3cret"
    return AuthResult(success=good, handled=False)


@pytest.fixture
def tls_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this certificate, as a real CA's
    return cert, key


@contextmanager
def _server(handler: Handler, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield port
    controller.stop()


def _settings(monkeypatch: pytest.MonkeyPatch, port: int, tls: str, **extra: str) -> None:
    monkeypatch.setenv("LUMIERE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LUMIERE_SMTP_PORT", str(port))
    monkeypatch.setenv("LUMIERE_SMTP_TLS", tls)
    monkeypatch.setenv("LUMIERE_SMTP_TIMEOUT_S", "5")
    for name, value in extra.items():
        monkeypatch.setenv(f"LUMIERE_SMTP_{name.upper()}", value)
    reset_settings()


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Report", "Lumiere <reports@lumiere.test>", to
    message.set_content("hello")
    return message


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_with_a_login(tls_files, monkeypatch) -> None:
    handler = Handler()
    context = _server_context(*tls_files)
    with _server(handler, tls_context=context, require_starttls=True, authenticator=_login,
                        auth_required=True) as port:
        _settings(monkeypatch, port, "starttls", user="reports", password="s3cret")
        with mailer.connect() as connection:
            connection.send(_message("ann@example.com"))
        assert [recipients for recipients, _data in handler.delivered] == [["ann@example.com"]]
        _settings(monkeypatch, port, "starttls", user="reports", password="wrong")
        with pytest.raises(mailer.MailUnavailable, match="refused the login"), mailer.connect():
            pass
        _settings(monkeypatch, port, "none")
        with pytest.raises(mailer.MailUnavailable), mailer.connect() as connection:  # no TLS: it will not talk
            connection.send(_message("ann@example.com"))


def test_implicit_tls(tls_files, monkeypatch) -> None:
    handler = Handler()
    with _server(handler, ssl_context=_server_context(*tls_files)) as port:
        _settings(monkeypatch, port, "ssl")
        with mailer.connect() as connection:
            connection.send(_message("bob@example.com"))
        assert len(handler.delivered) == 1


def test_a_certificate_nobody_vouches_for_is_refused(tmp_path, monkeypatch) -> None:
    cert, key = _certificate(tmp_path)  # not made trusted
    handler = Handler()
    with _server(handler, tls_context=_server_context(cert, key)) as port:
        _settings(monkeypatch, port, "starttls")
        with pytest.raises(mailer.MailUnavailable, match="CERTIFICATE_VERIFY_FAILED"), mailer.connect():
            pass
    assert handler.delivered == []


def test_refusals_for_good_and_for_now(monkeypatch) -> None:
    handler = Handler()
    with _server(handler) as port:
        _settings(monkeypatch, port, "none")
        with mailer.connect() as connection:
            with pytest.raises(mailer.MailRefused, match=r"550 5\.1\.1 No such user"):
                connection.send(_message("gone@example.com"))
            with pytest.raises(mailer.MailUnavailable, match="451"):
                connection.send(_message("busy@example.com"))
            connection.send(_message("ann@example.com"))
    assert [recipients for recipients, _data in handler.delivered] == [["ann@example.com"]]


def test_no_server_and_no_settings(monkeypatch) -> None:
    _settings(monkeypatch, free_port(), "none")
    with pytest.raises(mailer.MailUnavailable, match=r"Could not connect to the mail server at 127\.0\.0\.1"), \
            mailer.connect():
        pass
    monkeypatch.setenv("LUMIERE_SMTP_HOST", "")
    reset_settings()
    assert not mailer.email_configured()
    with pytest.raises(mailer.MailUnavailable, match="Email is not configured"), mailer.connect():
        pass
