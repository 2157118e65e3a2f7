"""Signed, expiring tokens for links that work without signing in: a download of a large result,
"stop these emails". The token carries its purpose and payload in the clear (nothing secret goes
in it) with an HMAC-SHA256 over both, keyed by a key derived from the server secret, so it cannot
be forged or reused for another purpose; rotating LUMIERE_SECRET_KEY invalidates every link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lumiere.config import get_settings

_MAX_TOKEN_CHARS = 2000


class BadLink(ValueError):
    """The token is malformed, forged, for another purpose, or expired (`expired` tells which)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _key() -> bytes:
    secret = get_settings().resolved_secret_key.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lumiere-links", info=b"hmac-v1").derive(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(purpose: str, payload: dict[str, Any], *, ttl_s: int | None) -> str:
    """A URL-safe token for `payload`, valid for `ttl_s` seconds (None: until the secret changes)."""
    body = {"p": purpose, "d": payload, "e": int(time.time()) + ttl_s if ttl_s is not None else None}
    encoded = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_key(), encoded.encode("ascii"), hashlib.sha256).digest()
    return f"{encoded}.{_b64(mac)}"


def verify(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token signed for `purpose`; BadLink for anything else."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise BadLink("This link is not valid.")
    encoded, mac_text = token.split(".")
    try:
        mac = _unb64(mac_text)
        expected = hmac.new(_key(), encoded.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            raise BadLink("This link is not valid.")
        body = json.loads(_unb64(encoded))
    except (ValueError, UnicodeError):
        raise BadLink("This link is not valid.") from None
    if not isinstance(body, dict) or body.get("p") != purpose or not isinstance(body.get("d"), dict):
        raise BadLink("This link is not valid.")
    expires = body.get("e")
    if expires is not None and time.time() > expires:
        raise BadLink("This link has expired.", expired=True)
    return body["d"]
