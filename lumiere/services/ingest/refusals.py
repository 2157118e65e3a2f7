"""The limits of a load and the refusals that name them: over-long lines and fields, mixed
encodings, files too big for the memory limit, each as a 4xx message without paths or raw lines."""

from __future__ import annotations

import re
from typing import Any

import duckdb

from lumiere.config import Settings
from lumiere.core.errors import Invalid, StorageFull
from lumiere.services.warehouse import scrub_message
from lumiere.storage.datasets import is_disk_full

DUCKDB_MAX_LINE_BYTES = 2 * 1024 * 1024


def max_line_bytes(settings: Settings) -> int:
    """DuckDB's own 2 MB line limit unless fields may be longer: a bigger limit makes DuckDB read
    with bigger buffers and write the table far more slowly."""
    return max(DUCKDB_MAX_LINE_BYTES, settings.max_field_kb * 1024 + 64 * 1024)


def field_count_phrase(message: str) -> str:
    match = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if match:
        return f"has {match.group(2)} fields where {match.group(1)} were expected"
    return "could not be read as a CSV row"


def read_error(error: duckdb.Error, settings: Settings, display_name: str) -> Exception:
    """A user-facing refusal for a DuckDB read failure, without paths or the raw line."""
    message = str(error)
    if is_disk_full(error):
        return StorageFull()
    if "Maximum line size" in message or "maximum line size" in message:
        line = re.search(r"Line: (\d+)", message)
        return Invalid(
            f"{f'Line {line.group(1)}' if line else 'A line'} of {display_name} is longer than "
            f"{max_line_bytes(settings) / (1024 * 1024):g} MB; a single field may be at most "
            f"{settings.max_field_kb:,} KB. Shorten it and upload the file again."
        )
    if "Invalid unicode" in message or "INVALID ENCODING" in message:
        return Invalid(f"{display_name} mixes text encodings; save it as UTF-8 and upload it again.")
    if isinstance(error, duckdb.OutOfMemoryException):
        return Invalid(f"{display_name} needs more memory to load than the server allows; upload a smaller file.")
    first_line = message.splitlines()[0] if message else "unknown error"
    return Invalid(f"{display_name} could not be read as CSV: {scrub_message(first_line)[:300]}")


def refuse_huge_fields(profile: dict[str, Any], settings: Settings) -> None:
    limit = settings.max_field_kb * 1024
    for column in profile["columns"]:
        if (column.get("max_length") or 0) > limit:
            raise Invalid(
                f"Column {column['name']!r} holds a value of {column['max_length'] / 1024:,.0f} KB; a single field "
                f"may be at most {settings.max_field_kb:,} KB. Shorten it and upload the file again."
            )
