"""A user's own LLM: their API key (stored encrypted, used for their questions, never shown again)
and, with it, their OpenAI-compatible base URL and model.

A base URL is checked when it is saved, on the text alone (nothing is resolved or connected):
http(s), no credentials in it, and no loopback, private or link-local address written as the host
(the address filter of database connections), unless the operator allows private hosts. When the
user's LLM is about to be used, the host name is resolved and every address must pass the same
filter, so a public-looking name cannot lead to the server's own network.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session

from lumiere.config import get_settings
from lumiere.core.errors import BadRequest, Invalid
from lumiere.llm.client import ConnectionCheck, client_for_user
from lumiere.models import User
from lumiere.models._base import utcnow
from lumiere.storage.address_filter import decide, first_refused, parse_address
from lumiere.storage.crypto import encrypt_secret
from lumiere.storage.external import Resolver, system_resolve

MAX_KEY_CHARS = 400
MAX_BASE_URL_CHARS = 500
MAX_MODEL_CHARS = 100
# Keys go into an HTTP header: printable ASCII without spaces.
_KEY_RE = re.compile(r"[\x21-\x7e]+")
# Hosts that name the machine itself without being an address.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# The numeric IPv4 forms C libraries also accept (2130706433, 0x7f.1, 0177.0.0.1).
_LEGACY_IPV4_RE = re.compile(r"[0-9a-fA-FxX.]+")
PRIVATE_HOSTS_HINT = "an operator can allow private networks with LUMIERE_ALLOW_PRIVATE_HOSTS"


@dataclass(frozen=True)
class LlmSettingsView:
    """The user's LLM settings as pages and the API show them: whether a key is stored, never the key."""

    has_key: bool
    base_url: str | None
    model: str | None


def llm_settings(user: User) -> LlmSettingsView:
    return LlmSettingsView(has_key=has_user_llm_key(user), base_url=user.llm_base_url, model=user.llm_model)


def validate_api_key(api_key: object) -> str:
    """Surrounding blanks (a pasted newline) are dropped; anything else that cannot be a key is refused."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise Invalid("Paste your API key; it cannot be empty.", field="api_key")
    key = api_key.strip()
    if len(key) > MAX_KEY_CHARS:
        raise Invalid(f"That is too long for an API key: at most {MAX_KEY_CHARS} characters.", field="api_key")
    if not _KEY_RE.fullmatch(key):
        raise Invalid(
            "An API key is one word of letters, digits and punctuation: "
            "remove spaces, line breaks and other characters.",
            field="api_key",
        )
    return key


def validate_base_url(base_url: object) -> str:
    """An http(s) URL of an OpenAI-compatible API, decided on its text alone."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise Invalid("Enter the API's base URL, such as https://api.openai.com/v1.", field="base_url")
    url = base_url.strip()
    if len(url) > MAX_BASE_URL_CHARS:
        raise Invalid(f"A base URL can be at most {MAX_BASE_URL_CHARS} characters.", field="base_url")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise Invalid("A base URL cannot contain spaces or control characters.", field="base_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:
        raise Invalid("That base URL is not a valid URL; check the host and the port.", field="base_url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid("The base URL starts with https:// (or http://) and names a host.", field="base_url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Invalid(
            "Leave credentials out of the base URL: put the key in the API key field.", field="base_url"
        )
    if parts.query or parts.fragment:
        raise Invalid("The base URL ends with its path: remove the '?…' or '#…' part.", field="base_url")
    if not get_settings().allow_private_hosts:
        reason = _refused_host(parts.hostname)
        if reason is not None:
            raise Invalid(
                f"This server does not call LLMs at {parts.hostname} ({reason}); use a public address, or "
                f"{PRIVATE_HOSTS_HINT}.",
                field="base_url",
            )
    return url


def _refused_host(host: str) -> str | None:
    """Why a host written in a URL is refused, judged without any lookup; None when it may be used."""
    name = host.rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return "this machine"
    address = parse_address(name)
    if address is None and _LEGACY_IPV4_RE.fullmatch(name):
        try:
            address = parse_address(socket.inet_ntoa(socket.inet_aton(name)))
        except OSError:
            address = None
    if address is None:
        return None
    return decide(address).reason


def validate_model(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise Invalid("Enter the model's name, such as gpt-4o-mini.", field="model")
    name = model.strip()
    if len(name) > MAX_MODEL_CHARS:
        raise Invalid(f"A model name can be at most {MAX_MODEL_CHARS} characters.", field="model")
    if not name.isprintable():
        raise Invalid("A model name cannot contain control characters.", field="model")
    return name


def set_user_llm_key(session: Session, user: User, api_key: object) -> None:
    user.llm_api_key_encrypted = encrypt_secret(validate_api_key(api_key))
    _saved(session, user)


def update_llm_settings(
    session: Session, user: User, *, api_key: object = None, base_url: object = None, model: object = None
) -> LlmSettingsView:
    """Change what is given; an empty base URL or model goes back to the server's. Everything is
    checked before anything is stored. The base URL and model apply only with the user's own key."""
    key = validate_api_key(api_key) if api_key is not None else None
    url = _optional(base_url, validate_base_url)
    name = _optional(model, validate_model)
    if key is not None:
        user.llm_api_key_encrypted = encrypt_secret(key)
    if base_url is not None:
        user.llm_base_url = url
    if model is not None:
        user.llm_model = name
    _saved(session, user)
    return llm_settings(user)


def _optional(value: object, check: Callable[[object], str]) -> str | None:
    """None for a value the user blanked out (back to the server's), else the checked value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check(value)


def clear_user_llm_key(session: Session, user: User) -> None:
    """Forget the key, and with it the base URL and model that only applied to it."""
    user.llm_api_key_encrypted = None
    user.llm_base_url = None
    user.llm_model = None
    _saved(session, user)


def has_user_llm_key(user: User) -> bool:
    return bool(user.llm_api_key_encrypted)


def _saved(session: Session, user: User) -> None:
    user.updated_at = utcnow()
    session.add(user)
    session.flush()


def check_user_llm_host(user: User, resolve: Resolver = system_resolve) -> None:
    """Before the user's own base URL is called: every address its host resolves to must pass the
    address filter (400 otherwise); nothing to check for the server's URL or private hosts allowed."""
    if not user.llm_api_key_encrypted or not user.llm_base_url or get_settings().allow_private_hosts:
        return
    host = urlsplit(user.llm_base_url).hostname or ""
    try:
        resolved = resolve(host)
    except (OSError, UnicodeError):
        raise BadRequest(
            f"The host of your LLM base URL, {host!r}, could not be resolved; check it in Settings → LLM."
        ) from None
    refused = first_refused([address for address in map(parse_address, resolved) if address is not None])
    if refused is not None:
        raise BadRequest(
            f"Your LLM base URL's host {host!r} resolves to an address this server may not call ({refused.reason}); "
            f"change it in Settings → LLM, or {PRIVATE_HOSTS_HINT}."
        )


def check_llm_connection(_session: Session, user: User) -> ConnectionCheck:
    """One tiny real request with the user's own key, base URL and model."""
    if not has_user_llm_key(user):
        raise Invalid("Save your API key first: the test uses your own key.", field="api_key")
    check_user_llm_host(user)
    client = client_for_user(user)
    assert client is not None  # the user has a key, so there is a client
    return client.check_connection(user_id=user.id)
