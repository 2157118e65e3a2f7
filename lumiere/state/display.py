"""How API-shaped values read on a page: sizes, counts, kinds and times as short text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lumiere.core.enums import Engine

KIND_LABELS = {"csv": "CSV", "postgresql": "PostgreSQL", "mysql": "MySQL"}
STATUS_LABELS = {"ok": "Succeeded", "error": "Failed", "refused": "Refused"}
ENGINE_LABELS = {Engine.LLM: "LLM", Engine.BUILTIN: "Built-in engine", Engine.USER: "Your SQL"}


def human_size(size_bytes: int | None) -> str:
    size = float(size_bytes or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


def human_count(count: int | None) -> str:
    return f"{count:,}" if count is not None else "-"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def short_time(iso: str | None) -> str:
    """'2025-03-01 14:05 UTC' from the API's ISO 8601 string."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def local_time(moment: datetime | str | None, timezone: str) -> str:
    """'Mon 3 Mar 2025, 08:00 CET': a schedule's times read in its own time zone, as its emails go out."""
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    else:
        parsed = moment
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or timezone}"


@dataclass(frozen=True)
class SourceOption:
    """A data source offered in a select (id as text, as the select's value)."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class SourceRow:
    """A data source as the sources list and the detail summary show it (all text)."""

    id: str
    name: str
    kind: str
    rows: str
    columns: str
    size: str
    created: str


def source_row(source: dict) -> SourceRow:
    """A data source as the sources list shows it (all text, so the page needs no formatting)."""
    column_count = source.get("column_count")
    if column_count is None:
        column_count = sum(len(table.get("columns", [])) for table in source.get("tables", []))
    return SourceRow(
        id=str(source["id"]),
        name=source["name"],
        kind=kind_label(source["kind"]),
        rows=human_count(source.get("row_count")),
        columns=human_count(column_count),
        size=human_size(source.get("file_bytes") or source.get("size_bytes")) if source["kind"] == "csv" else "-",
        created=short_time(source.get("created_at")),
    )
