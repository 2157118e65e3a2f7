"""Which other web origins may use the app from a browser (CORS and the Reflex websocket).

Pages are served from the app's own origin, which needs no CORS at all; cross-origin access is
limited to the origin Reflex builds its frontend links for (`deploy_url`, the frontend in
`reflex run --env dev`) and the origins the operator lists in LUMIERE_CORS_ORIGINS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from lumiere.config import get_settings


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL, as a browser writes it in the Origin header."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origins(deploy_url: str | None) -> list[str]:
    """The origins allowed to call the backend from another origin; never '*'."""
    origins = [origin_of(deploy_url), *get_settings().cors_origin_list]
    return list(dict.fromkeys(origin for origin in origins if origin))


def websocket_origin_check(allowed: list[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """An engineio `cors_allowed_origins` callable: the page's own host, or one of `allowed`."""
    allowed_set = frozenset(origin.lower() for origin in allowed)

    def is_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:
            return True  # not a browser: the Origin header is what stops cross-site pages
        if origin.lower() in allowed_set:
            return True
        hosts = {environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()}
        return urlsplit(origin).netloc.lower() in {host.lower() for host in hosts if host}

    return is_allowed
