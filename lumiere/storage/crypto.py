"""Encryption at rest for secrets users give us (database passwords, LLM keys).

The Fernet key is derived from the server secret with HKDF, so rotating LUMIERE_SECRET_KEY
makes stored secrets unreadable (users re-enter them) rather than silently weak.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lumiere.config import get_settings
from lumiere.core.errors import BadRequest


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lumiere-at-rest", info=b"fernet-v1").derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(plain: str) -> str:
    return _fernet(get_settings().resolved_secret_key).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    try:
        return _fernet(get_settings().resolved_secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise BadRequest(
            "A stored credential can no longer be decrypted (the server key changed); enter it again."
        ) from None
