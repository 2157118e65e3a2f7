"""The service errors, which now live in `lumiere.core.errors` so that libraries below the
services (charts) can raise them; this path stays importable for the code that uses it."""

from lumiere.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    QueryRejected,
    RateLimited,
    ServiceError,
    Timeout,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMedia,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "QueryRejected",
    "RateLimited",
    "ServiceError",
    "Timeout",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMedia",
]
