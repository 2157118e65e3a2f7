"""Errors the services raise; each carries the HTTP status and a message that says what to fix.

The REST layer turns them into `{"detail": ...}` responses and the pages show `detail` as is,
so a message must never contain a server path, a stack trace or a secret.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}


class BadRequest(ServiceError):
    status_code = 400


class QueryRejected(BadRequest):
    """The database refused the SQL itself (unknown column, wrong types, bad grouping), as opposed
    to failing to connect or to open the data."""


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Timeout(ServiceError):
    status_code = 408


class Conflict(ServiceError):
    status_code = 409


class TooLarge(ServiceError):
    status_code = 413


class UnsupportedMedia(ServiceError):
    status_code = 415


class Invalid(ServiceError):
    """Input that is well-formed but not acceptable (422); `field` names the input at fault."""

    status_code = 422


class RateLimited(ServiceError):
    status_code = 429


class Unavailable(ServiceError):
    status_code = 503


class StorageFull(ServiceError):
    """The data folder's disk (or quota) is full: 507 Insufficient Storage, with nothing kept."""

    status_code = 507

    def __init__(self, detail: str = "The server has no disk space left for this file, so nothing was kept. "
                 "Try again later, or ask the operator to free space in the data folder.", **extra: Any) -> None:
        super().__init__(detail, **extra)


class LimitReached(ServiceError):
    """A plan limit stops the action (402); the body carries `limit`, `used` and `plan` as the API
    promises, and the detail says which limit it is and how to get more."""

    status_code = 402

    def __init__(self, detail: str, *, limit: float | int, used: float | int, plan: str, **extra: object) -> None:
        super().__init__(detail, limit=limit, used=used, plan=plan, **extra)
