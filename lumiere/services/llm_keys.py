"""A user's own LLM API key: stored encrypted, used for their questions, never shown again."""

from __future__ import annotations

import re

from sqlmodel import Session

from lumiere.core.errors import Invalid
from lumiere.models import User
from lumiere.models._base import utcnow
from lumiere.storage.crypto import encrypt_secret

MAX_KEY_CHARS = 400
# Keys go into an HTTP header: printable ASCII without spaces.
_KEY_RE = re.compile(r"[\x21-\x7e]+")


def set_user_llm_key(session: Session, user: User, api_key: str) -> None:
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
    user.llm_api_key_encrypted = encrypt_secret(key)
    user.updated_at = utcnow()
    session.add(user)
    session.flush()


def clear_user_llm_key(session: Session, user: User) -> None:
    user.llm_api_key_encrypted = None
    user.updated_at = utcnow()
    session.add(user)
    session.flush()


def has_user_llm_key(user: User) -> bool:
    return bool(user.llm_api_key_encrypted)
