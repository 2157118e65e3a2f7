"""Checking DuckDB's type guesses against the whole file: DuckDB sniffs types on its first rows,
so values spread over the file show columns to widen, and text columns that hold only numbers
(thousands separators, a plus sign, a typographic minus) are converted after the load."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from lumiere.services.ingest.sniff import CsvLayout
from lumiere.services.ingest.values import DASH_PLACEHOLDERS, INTEGER_TEXT, NULL_MARKERS, UNICODE_MINUS, cell_class
from lumiere.services.profiling import one_row, quote_ident, quote_literal

SPREAD_WINDOWS = 32  # windows across a big file whose values check the sniffed integer/date types
SPREAD_WINDOW_BYTES = 64 * 1024
_STRICT_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_LEADING_ZERO = re.compile(r"[+-]?0\d+")
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}[/.]\d{1,2}[/.]\d{1,2}")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def _number_text_pattern(decimal_comma: bool) -> str:
    """A number as people write it in tables: an optional sign (+ too), optional thousands
    separators, a typographic minus, no leading zero (00123 is a code, not a number)."""
    group, point = (r"\.", ",") if decimal_comma else (",", r"\.")
    return rf"[+\-{UNICODE_MINUS}]?(\d{{1,3}}({group}\d{{3}})+|[1-9]\d*|0)({point}\d+)?"


def read_numbers_stored_as_text(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    types: dict[str, str],
    records: list[list[str]],
    layout: CsvLayout,
) -> dict[str, str]:
    """Turn text columns that hold only numbers into number columns, where DuckDB's reader left
    them as text: thousands separators ("1,234,567"), a plus sign ("+13"), a typographic minus
    ("−3.1"), or placeholders for a
    missing value ("—", "n/a") that another column uses as a real value (the reader's null
    strings apply to every column). Candidates come from the sample spread over the file; the
    whole column is checked before it is converted. Returns {column: new type}."""
    pattern = re.compile(_number_text_pattern(layout.decimal_comma))
    placeholders = ["", *sorted(set(NULL_MARKERS) | set(DASH_PLACEHOLDERS))]
    converted: dict[str, str] = {}
    if len(types) != layout.column_count:
        return converted
    table_sql = quote_ident(table_name)
    for index, (name, type_name) in enumerate(types.items()):
        if type_name != "VARCHAR":
            continue
        sampled = {row[index].strip() for row in records if index < len(row)} - set(placeholders)
        if not sampled or not all(pattern.fullmatch(value) for value in sampled):
            continue
        column = quote_ident(name)
        trimmed = f"trim({column})"
        not_placeholder = f"{trimmed} NOT IN ({', '.join(quote_literal(value) for value in placeholders)})"
        misfits, decimals = one_row(
            con,
            f"SELECT count(*) FILTER (WHERE {not_placeholder} AND NOT regexp_full_match({trimmed}, "
            f"{quote_literal(pattern.pattern)})), bool_or({not_placeholder} AND contains({trimmed}, "
            f"{quote_literal(',' if layout.decimal_comma else '.')})) FROM {table_sql}",
        )
        if misfits:
            continue
        digits = (f"replace(replace(replace({trimmed}, {quote_literal('.' if layout.decimal_comma else ',')}, ''), "
                  f"'+', ''), {quote_literal(UNICODE_MINUS)}, '-')")
        if layout.decimal_comma:
            digits = f"replace({digits}, ',', '.')"
        for target in ("DOUBLE",) if decimals else ("BIGINT", "DOUBLE"):
            try:
                con.execute(
                    f"ALTER TABLE {table_sql} ALTER COLUMN {column} SET DATA TYPE {target} USING "
                    f"CASE WHEN {not_placeholder} THEN CAST({digits} AS {target}) END"
                )
            except duckdb.ConversionException:
                continue  # beyond BIGINT: DOUBLE
            converted[name] = target
            break
    return converted


def spread_sample(csv_path: Path, layout: CsvLayout) -> list[list[str]]:
    """Records from all over the file (DuckDB sniffs types on its first rows only): the whole
    file when it is small, else windows spread evenly over it."""
    size = csv_path.stat().st_size
    reader_options = layout.reader_options()
    if size <= SPREAD_WINDOWS * SPREAD_WINDOW_BYTES:
        text = csv_path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
        for _ in range(layout.skip_lines):
            text = text.partition("\n")[2]
        try:
            rows = [row for row in csv.reader(io.StringIO(text), **reader_options) if len(row) == layout.column_count]
        except csv.Error:
            return []
        return rows[1:] if layout.header else rows
    records: list[list[str]] = []
    with csv_path.open("rb") as source:
        for window in range(1, SPREAD_WINDOWS + 1):
            source.seek(size * window // (SPREAD_WINDOWS + 1))
            text = source.read(SPREAD_WINDOW_BYTES).decode("utf-8", errors="replace")
            start, end = text.find("\n"), text.rfind("\n")
            if start < 0 or end <= start:
                continue
            try:
                records.extend(
                    row for row in csv.reader(io.StringIO(text[start + 1 : end]), **reader_options)
                    if len(row) == layout.column_count
                )
            except csv.Error:
                continue  # a window that starts inside a quoted field: its records are not trustworthy
    return records


def silently_converted(
    types: dict[str, str], records: list[list[str]], layout: CsvLayout
) -> dict[str, list[str]]:
    """Values DuckDB's reader would convert without an error but with a loss (it casts loosely
    past its sniffing sample, duckdb#25824): decimals or leading zeros in an integer column,
    times in a date column."""
    found: dict[str, list[str]] = {}
    skip = {"", *layout.null_markers}
    for index, (name, type_name) in enumerate(types.items()):
        if type_name in _INTEGER_TYPES:
            fits = _integer_fits(layout.thousands)
        elif type_name == "DATE":
            fits = _PLAIN_DATE.fullmatch
        else:
            continue
        bad = {row[index].strip() for row in records if index < len(row)} - skip
        bad = {value for value in bad if not fits(value)}
        if bad:
            found[name] = sorted(bad)[:100]
    return found


def _integer_fits(thousands: str | None) -> Callable[[str], object]:
    """Whether a value is an integer as written, where the reader drops the thousands separator
    it was given (361.924 is 361924)."""
    if not thousands:
        return _STRICT_INT.fullmatch
    return lambda value: _STRICT_INT.fullmatch(value.replace(thousands, ""))


def wider_type(current: str, failing_values: Sequence[str | None], decimal_comma: bool) -> str:
    """The narrowest type that holds both the sniffed values and the ones that did not fit."""
    values = [value.strip() for value in failing_values if value]
    classes = {cell_class(value, decimal_comma) for value in values}
    if current in _INTEGER_TYPES and classes <= {"number"}:
        if any(_LEADING_ZERO.fullmatch(value) for value in values):
            return "VARCHAR"  # codes like 00123 keep their zeros
        if all(INTEGER_TEXT.fullmatch(value) for value in values):
            return "HUGEINT" if current != "HUGEINT" else "VARCHAR"
        return "DOUBLE"
    if current == "DATE" and classes <= {"date"}:
        return "TIMESTAMP"
    return "VARCHAR"
