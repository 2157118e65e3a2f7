"""Sending email over the SMTP server in the settings (`LUMIERE_SMTP_*`), with STARTTLS, TLS or neither.

A failure that may pass (the server cannot be reached, times out, or answers 4xx) is
`MailUnavailable`, which the job queue retries with backoff; a recipient the server refuses for good
(5xx) is reported per address and not retried.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import getaddresses

from lumiere.config import get_settings

NOT_CONFIGURED = (
    "Email is not configured on this server: an administrator sets LUMIERE_SMTP_HOST (and the other "
    "LUMIERE_SMTP_* settings) to send it."
)


def email_configured() -> bool:
    """Whether this installation can send email (the pages say so when it cannot)."""
    return get_settings().smtp_configured


class MailUnavailable(Exception):
    """The mail server could not take the message now; trying again later may work."""


class MailRefused(Exception):
    """The mail server refused this recipient for good."""


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {text.decode('utf-8', 'replace')}" for code, text in error.recipients.values())
    return str(error) or type(error).__name__


def _where() -> str:
    settings = get_settings()
    return f"{settings.smtp_host}:{settings.smtp_port}"


class Mailer:
    """One SMTP connection, opened by `connect()` and used for several messages."""

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Send to the message's To addresses; MailRefused or MailUnavailable when it did not go."""
        sender = get_settings().smtp_from
        recipients = [address for _name, address in getaddresses(message.get_all("To", []))]
        try:
            refused = self._smtp.send_message(message, from_addr=_bare(sender), to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise MailRefused(_reason(error)) from None
            raise MailUnavailable(f"The mail server at {_where()} deferred the message: {_reason(error)}") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and not isinstance(error, smtplib.SMTPSenderRefused):
                raise MailRefused(_reason(error)) from None
            raise MailUnavailable(f"The mail server at {_where()} answered {_reason(error)}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailUnavailable(f"The connection to the mail server at {_where()} failed: {_reason(error)}") from None
        if refused:
            raise MailRefused(_reason(smtplib.SMTPRecipientsRefused(refused)))


def _bare(address: str) -> str:
    parsed = getaddresses([address])
    return parsed[0][1] if parsed and parsed[0][1] else address


@contextmanager
def connect() -> Iterator[Mailer]:
    """An authenticated connection to the configured server; MailUnavailable when there is none."""
    settings = get_settings()
    if not settings.smtp_configured:
        raise MailUnavailable(NOT_CONFIGURED)
    timeout = settings.smtp_timeout_s
    try:
        smtp: smtplib.SMTP
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        try:
            smtp.ehlo()
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_user, password)
        except BaseException:
            smtp.close()
            raise
    except smtplib.SMTPAuthenticationError as error:
        raise MailUnavailable(f"The mail server at {_where()} refused the login: {_reason(error)}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise MailUnavailable(f"Could not connect to the mail server at {_where()}: {_reason(error)}") from None
    try:
        yield Mailer(smtp)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
