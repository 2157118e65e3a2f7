"""Shared column helpers."""

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it as UTC on every backend."""
    return datetime.now(UTC)


@overload
def iso_utc(moment: datetime) -> str: ...
@overload
def iso_utc(moment: None) -> None: ...
def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
