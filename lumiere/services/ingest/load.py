"""The DuckDB load: a CSV on disk into one immutable DuckDB file holding one table, read by DuckDB's
own CSV reader with the sniffed layout, its rejects accounting for ragged rows, and types widened
until every row fits."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from lumiere.config import Settings, get_settings
from lumiere.core.errors import Invalid
from lumiere.services.ingest.encoding import ENCODING_NAMES, transcode_to_utf8
from lumiere.services.ingest.refusals import field_count_phrase, max_line_bytes, read_error, refuse_huge_fields
from lumiere.services.ingest.retype import read_numbers_stored_as_text, silently_converted, spread_sample, wider_type
from lumiere.services.ingest.sniff import DELIMITER_NAMES, CsvLayout, sniff_file
from lumiere.services.ingest.units import read_amounts_stored_as_text
from lumiere.services.ingest.upload import detect_encoding
from lumiere.services.profiling import one_row, profile_table, quote_ident, quote_literal
from lumiere.services.value_index import build_value_index
from lumiere.storage.datasets import new_temp_path

MAX_RETYPE_ROUNDS = 3

# DuckDB reject error types that mean "this line does not have the right shape".
MALFORMED_ERRORS = ("MISSING COLUMNS", "TOO MANY COLUMNS", "UNQUOTED VALUE", "INVALID ENCODING", "INVALID STATE")


@dataclass
class IngestResult:
    table_name: str
    columns: list[dict[str, str]]  # [{name, type, kind}]
    row_count: int
    profile: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    size_bytes: int = 0  # of the DuckDB file


def ingest_csv_file(
    path: Path,
    *,
    dest: Path,
    table_name: str,
    settings: Settings | None = None,
    encoding: str | None = None,
    original_name: str | None = None,
) -> IngestResult:
    """Turn a CSV on disk into a complete DuckDB file at `dest` (written aside, renamed at the end).

    `encoding` is what `receive_upload` found while streaming; without it the file is scanned.
    Raises a ServiceError (4xx) for a file we will not take; `dest` is then untouched.
    """
    settings = settings or get_settings()
    display_name = original_name or path.name
    file_bytes = path.stat().st_size
    if encoding is None:
        encoding = detect_encoding(path)
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.partial")
    spill_dir = new_temp_path(".spill")
    utf8_copy: Path | None = None
    try:
        csv_path = path
        if encoding in ("cp1252", "utf-16-le", "utf-16-be"):
            utf8_copy = new_temp_path(".utf8.csv")
            transcode_to_utf8(path, utf8_copy, encoding)
            csv_path = utf8_copy
        layout = sniff_file(
            csv_path, extension=Path(display_name).suffix.lower(), settings=settings, display_name=display_name
        )
        spill_dir.mkdir(mode=0o700)
        con = duckdb.connect(
            str(partial),
            config={
                "memory_limit": settings.ingest_memory_limit,
                "threads": settings.duckdb_threads,
                "temp_directory": str(spill_dir),
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
                "preserve_insertion_order": True,  # the table keeps the file's row order
            },
        )
        try:
            con.execute("SET enable_progress_bar = false")  # a server has no terminal to draw it on
            details = _load_table(con, csv_path, layout, table_name, settings, display_name)
            columns = [
                (name, type_name)
                for name, type_name, *_ in con.execute(f"DESCRIBE {quote_ident(table_name)}").fetchall()
            ]
            profile = profile_table(con, table_name, columns)
            refuse_huge_fields(profile, settings)
            index = build_value_index(con, table_name, columns, settings.value_index_max_distinct)
            details["value_index"] = {
                "indexed_columns": list(index.indexed), "skipped_columns": list(index.skipped),
                "values": index.values, "seconds": round(index.seconds, 3),
            }
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
        raise
    finally:
        if utf8_copy is not None:
            utf8_copy.unlink(missing_ok=True)
        shutil.rmtree(spill_dir, ignore_errors=True)
    details.update(
        encoding=ENCODING_NAMES[encoding],
        delimiter=DELIMITER_NAMES[layout.delimiter],
        header=layout.header,
        decimal_separator="," if layout.decimal_comma else ".",
        quote_escape="backslash" if layout.escape == "\\" else "doubled",
        file_bytes=file_bytes,
    )
    if layout.null_markers:
        details["null_markers"] = layout.null_markers
    details["notes"] = _notes(details, encoding)
    return IngestResult(
        table_name=table_name,
        columns=[{"name": c["name"], "type": c["type"], "kind": c["kind"]} for c in profile["columns"]],
        row_count=profile["row_count"],
        profile=profile,
        details=details,
        size_bytes=dest.stat().st_size,
    )


def _notes(details: dict[str, Any], encoding: str) -> list[str]:
    """What the ingest decided, in sentences for the source's page."""
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"The file was not UTF-8; it was read as {details['encoding']} text.")
    if details["delimiter"] != "comma":
        notes.append(f"Columns are separated by {details['delimiter']}s.")
    if details["decimal_separator"] == ",":
        notes.append("Numbers use a decimal comma.")
    if details["quote_escape"] == "backslash":
        notes.append('Quotes inside quoted fields are written \\" (with a backslash).')
    if not details["header"]:
        notes.append("The file has no header row, so the columns are named column0, column1, …")
    if details.get("null_markers"):
        notes.append(f"{', '.join(details['null_markers'])} were read as missing values.")
    for column, type_name in details.get("numbers_from_text", {}).items():
        notes.append(f"Column {column!r} was read as numbers ({type_name}): its values are written with "
                     "thousands separators, a plus sign or a placeholder such as — for a missing value.")
    for column, amount in details.get("amounts_from_text", {}).items():
        notes.append(_amount_note(column, amount))
    for column, type_name in details.get("widened_columns", {}).items():
        notes.append(f"Column {column!r} was read as {type_name}: some values further down did not fit "
                     "the type of its first rows.")
    if details.get("skipped_rows"):
        notes.append(f"Skipped {details['skipped_rows']:,} malformed row(s) with the wrong number of fields; "
                     f"the first is line {details['first_skipped_line']:,}.")
    return notes


def _amount_note(column: str, amount: dict[str, str]) -> str:
    """The sentence for one column of money or percentages read as numbers."""
    example, unit, type_name = amount["example"], amount["unit"], amount["type"]
    if unit == "%":
        return (f"Column {column!r} was read as percentages ({type_name}): {example!r} is stored as the number "
                "written (12 % is 12, not 0.12), with the unit % kept.")
    if unit:
        return (f"Column {column!r} was read as amounts in {unit} ({type_name}) from text such as {example!r}; "
                f"the unit {unit} is kept.")
    return (f"Column {column!r} was read as numbers ({type_name}) from text such as {example!r}: "
            "amounts in parentheses are negative.")


def _read_csv_sql(csv_path: Path, layout: CsvLayout, settings: Settings, types: dict[str, str]) -> str:
    options = {
        "delim": quote_literal(layout.delimiter),
        "quote": quote_literal('"'),
        "escape": quote_literal(layout.escape),
        "header": "true" if layout.header else "false",
        "skip": str(layout.skip_lines),
        "encoding": quote_literal("utf-8"),
        "store_rejects": "true",
        "null_padding": "false",
        "max_line_size": str(max_line_bytes(settings)),
        "nullstr": "[" + ", ".join(quote_literal(marker) for marker in ["", *layout.null_markers]) + "]",
    }
    if layout.decimal_comma:
        options["decimal_separator"] = quote_literal(",")
    if layout.thousands:
        options["thousands"] = quote_literal(layout.thousands)
    if types:
        options["types"] = "{" + ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in types.items()) + "}"
    rendered = ", ".join(f"{key} = {value}" for key, value in options.items())
    return f"SELECT * FROM read_csv({quote_literal(str(csv_path))}, {rendered})"


def _load_table(
    con: duckdb.DuckDBPyConnection,
    csv_path: Path,
    layout: CsvLayout,
    table_name: str,
    settings: Settings,
    display_name: str,
) -> dict[str, Any]:
    """CREATE TABLE from read_csv; a value that does not fit its sniffed type widens the column
    and the file is read again, so no row is dropped for a type guess."""
    forced: dict[str, str] = {}
    table_sql = quote_ident(table_name)
    spread = spread_sample(csv_path, layout)
    for _ in range(MAX_RETYPE_ROUNDS + 1):
        con.execute(f"DROP TABLE IF EXISTS {table_sql}")
        try:
            con.execute(f"CREATE TABLE {table_sql} AS {_read_csv_sql(csv_path, layout, settings, forced)}")
        except duckdb.Error as error:
            raise read_error(error, settings, display_name) from None
        misfits: dict[str, list[str]] = {
            column: list(values)
            for column, values in con.execute(
                "SELECT column_name, list(DISTINCT regexp_extract(error_message, "
                "'Could not convert string \"(.*)\" to', 1)) FROM reject_errors "
                "WHERE error_type = 'CAST' AND column_name IS NOT NULL GROUP BY column_name"
            ).fetchall()
        }
        current = {name: type_name for name, type_name, *_ in con.execute(f"DESCRIBE {table_sql}").fetchall()}
        for column, values in silently_converted(current, spread, layout).items():
            misfits.setdefault(column, []).extend(values)
        if not misfits:
            break
        for column, values in misfits.items():
            forced[column] = wider_type(current.get(column, "VARCHAR"), values, layout.decimal_comma)
        con.execute("DELETE FROM reject_errors")
        con.execute("DELETE FROM reject_scans")
    else:
        raise Invalid(f"{display_name} has values whose type could not be settled; check the file's columns.")
    current = {name: type_name for name, type_name, *_ in con.execute(f"DESCRIBE {table_sql}").fetchall()}
    numbers_from_text = read_numbers_stored_as_text(con, table_name, current, spread, layout)
    current = {name: type_name for name, type_name, *_ in con.execute(f"DESCRIBE {table_sql}").fetchall()}
    amounts = read_amounts_stored_as_text(con, table_name, current, spread, layout.decimal_comma)

    row_count = one_row(con, f"SELECT count(*) FROM {table_sql}")[0]
    bad = one_row(
        con,
        "SELECT count(DISTINCT line), min(line) FROM reject_errors WHERE error_type IN "
        f"({', '.join(quote_literal(kind) for kind in MALFORMED_ERRORS)})",
    )
    bad_lines, first_bad = bad[0] or 0, bad[1]
    if row_count == 0 and not bad_lines:
        raise Invalid("The file has a header row but no data rows.")
    total = row_count + bad_lines
    if bad_lines and bad_lines > settings.ragged_row_tolerance * total:
        example = con.execute(
            "SELECT error_message FROM reject_errors WHERE line = ? ORDER BY column_idx LIMIT 1", [first_bad]
        ).fetchone()
        found = field_count_phrase(example[0] if example else "")
        raise Invalid(
            f"Line {first_bad} {found}; {bad_lines:,} of {total:,} lines ({bad_lines / total:.1%}) do not match "
            f"the {layout.column_count} columns of the header, more than the "
            f"{settings.ragged_row_tolerance:.0%} tolerated. Fix those lines and upload the file again."
        )
    details: dict[str, Any] = {}
    if bad_lines:
        details["skipped_rows"] = bad_lines
        details["first_skipped_line"] = first_bad
    widened = {column: type_name for column, type_name in forced.items()
               if column not in numbers_from_text and column not in amounts}
    if widened:
        details["widened_columns"] = dict(sorted(widened.items()))
    if numbers_from_text:
        details["numbers_from_text"] = numbers_from_text
    if amounts:
        # {column: {type, unit, example}}; `units` is what the semantic layer and answers read.
        details["amounts_from_text"] = {
            column: {"type": amount.type_name, "unit": amount.unit, "example": amount.example}
            for column, amount in amounts.items()
        }
        details["units"] = {column: amount.unit for column, amount in amounts.items() if amount.unit}
    return details


def rename_table(dataset_file: Path, old: str, new: str) -> None:
    """Rename the one table of a finished (not yet published) dataset file."""
    con = duckdb.connect(str(dataset_file), config={"autoload_known_extensions": False})
    try:
        con.execute(f"ALTER TABLE {quote_ident(old)} RENAME TO {quote_ident(new)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
