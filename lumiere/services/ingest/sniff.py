"""The CSV layout from the first part of the file: delimiter, quote escape, header row, decimal
comma and thousands separator, and the markers that stand for a missing value. Our own sniff,
where DuckDB's is weak."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumiere.config import Settings
from lumiere.core.errors import BadRequest, Invalid
from lumiere.services.ingest.values import (
    DECIMAL_COMMA_TEXT,
    GROUPED_COMMA_DECIMAL_TEXT,
    INTEGER_TEXT,
    NULL_MARKERS,
    cell_class,
    cell_shape,
)

SNIFF_BYTES = 1024 * 1024  # delimiter, header and number format are judged on this much
SNIFF_RECORDS = 5000
TYPED_COLUMN_SHARE = 0.8  # a column whose values below the first row are this typed has a type
SAME_LENGTH_EVIDENCE = 5  # typed values of one length below a top cell of another: a header
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SEP_HINT = re.compile(r"sep=(.)\s*")


class _HeadTooShort(Exception):
    """The sniffed part of the file ended before its first data row."""


@dataclass
class CsvLayout:
    delimiter: str
    header: bool
    skip_lines: int
    column_count: int
    decimal_comma: bool
    thousands: str | None
    null_markers: list[str]
    escape: str = '"'  # how a quote is written inside a quoted field: doubled ("") or after a backslash (\")

    def reader_options(self) -> dict[str, Any]:
        return _reader_options(self.delimiter, self.escape)


def _reader_options(delimiter: str, escape: str) -> dict[str, Any]:
    """Python csv options that read a file the way DuckDB will with the same delimiter and escape."""
    if escape == '"':
        return {"delimiter": delimiter, "quotechar": '"', "doublequote": True, "strict": False}
    return {"delimiter": delimiter, "quotechar": '"', "doublequote": False, "escapechar": escape, "strict": False}


def _records(text: str, delimiter: str, complete: bool, escape: str = '"') -> list[list[str]]:
    csv.field_size_limit(max(csv.field_size_limit(), SNIFF_BYTES * 4))
    reader = csv.reader(io.StringIO(text), **_reader_options(delimiter, escape))
    records: list[list[str]] = []
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                records.append(row)
                if len(records) > SNIFF_RECORDS:
                    break
    except csv.Error:
        pass
    if not complete and len(records) <= SNIFF_RECORDS and records:
        records.pop()  # the head may end in the middle of this record
    return records[:SNIFF_RECORDS]


def _escapes_to_try(text: str) -> tuple[str, ...]:
    """RFC 4180's doubled quote always; a backslash too when the text has \\" in it (many
    exporters write quotes inside quoted fields that way)."""
    return ('"', "\\") if '\\"' in text else ('"',)


def _strict_reach(text: str, delimiter: str, escape: str, complete: bool) -> float:
    """How far into the text (share of its lines) a strict reader gets before a quote that does not
    fit: read with the wrong escape, `"\\"Hi\\""` has a closing quote followed by more text. A head
    cut inside a quoted field counts as read to its end."""
    lines = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text), **{**_reader_options(delimiter, escape), "strict": True})
    try:
        for _ in reader:
            pass
    except csv.Error:
        return 1.0 if not complete and reader.line_num >= lines else reader.line_num / lines
    return 1.0


def _pick_layout(
    text: str, complete: bool, preferred: str | None, delimiters: tuple[str, ...] = DELIMITERS
) -> tuple[str, str, list[list[str]]]:
    """The delimiter under which the records have the most consistent field count, and the quote
    escape under which a strict reader gets furthest (then: more records, then the standard "")."""
    best: tuple[tuple[float, int, int], str, str, list[list[str]]] | None = None
    escapes = _escapes_to_try(text)
    for rank, delimiter in enumerate(delimiters):
        readings = []
        for escape in escapes:
            reach = _strict_reach(text, delimiter, escape, complete) if len(escapes) > 1 else 1.0
            records = _records(text, delimiter, complete, escape)
            readings.append(((reach, len(records), escape == '"'), escape, records))
        _, escape, records = max(readings, key=lambda reading: reading[0])
        if not records:
            continue
        counts = Counter(len(row) for row in records)
        modal, hits = counts.most_common(1)[0]
        if modal < 2:
            continue
        consistency = round(hits / len(records), 2)
        key = (consistency, 1 if delimiter == preferred else 0, -rank)
        if best is None or key > best[0]:
            best = (key, delimiter, escape, records)
    if best is None:
        delimiter = preferred or delimiters[0]
        return delimiter, '"', _records(text, delimiter, complete)
    return best[1], best[2], best[3]


PROSE_WORDS = 6  # a cell of this many words or more reads as a sentence, not a value


def _refuse_prose(records: list[list[str]], column_count: int) -> None:
    """A text of sentences (a .txt note, a letter) is not a table: without this it becomes a source of
    "1 row, 1 column". Refused when the rows do not split into columns and most lines are sentences."""
    sample = records[:500]
    consistent = sum(len(row) == column_count for row in sample) / max(1, len(sample))
    if column_count >= 2 and consistent >= 0.8:
        return
    lines = [" ".join(row).strip() for row in sample]
    lines = [line for line in lines if line]
    wordy = [line for line in lines if len(line.split()) >= PROSE_WORDS]
    if lines and len(wordy) * 2 >= len(lines):
        example = " ".join(wordy[0].split()[:8])
        raise Invalid(
            f'This file doesn\'t look like a table: its lines are sentences ("{example}…") rather than '
            "values separated by commas, semicolons or tabs. Upload a CSV or TSV file with a header row "
            "and one row per record."
        )


def sniff_layout(text: str, *, complete: bool, extension: str, settings: Settings) -> CsvLayout:
    """Decide delimiter, header row and number format from the first part of the file."""
    text = text.lstrip("\ufeff")
    skip_lines = 0
    first_line, _, rest = text.partition("\n")
    hint = _SEP_HINT.fullmatch(first_line.strip())
    if hint and hint.group(1) in DELIMITERS:  # Excel writes "sep=;" as a first line
        skip_lines, text = 1, rest
    preferred = "\t" if extension == ".tsv" else None
    if hint and skip_lines:
        delimiter, escape, records = _pick_layout(text, complete, preferred, (hint.group(1),))
    else:
        delimiter, escape, records = _pick_layout(text, complete, preferred)
    if not complete and len(records) < 2:
        raise _HeadTooShort
    if not records:
        raise BadRequest("The file is empty: upload a CSV file with a header row and at least one data row.")
    column_count = Counter(len(row) for row in records).most_common(1)[0][0]
    widest = max(column_count, len(records[0]))
    if widest > settings.max_columns:
        raise Invalid(
            f"The file has {widest:,} columns; at most {settings.max_columns:,} are allowed. "
            "Remove columns you do not need and upload it again."
        )

    _refuse_prose(records, column_count)
    first, body = records[0], records[1:]
    decimal_comma = delimiter != "," and _has_decimal_commas(body, column_count)
    header = _looks_like_header(first, body[:1000], column_count, decimal_comma)
    if header and not body:
        raise Invalid("The file has a header row but no data rows.")
    thousands = "." if decimal_comma and any(
        GROUPED_COMMA_DECIMAL_TEXT.fullmatch(cell.strip()) and not DECIMAL_COMMA_TEXT.fullmatch(cell.strip())
        for row in body[:1000] for cell in row
    ) else None
    return CsvLayout(
        delimiter=delimiter,
        header=header,
        skip_lines=skip_lines,
        column_count=column_count,
        decimal_comma=decimal_comma,
        thousands=thousands,
        null_markers=_null_markers(body[:1000], decimal_comma),
        escape=escape,
    )


def _has_decimal_commas(body: list[list[str]], column_count: int) -> bool:
    for column in range(column_count):
        values = [row[column].strip() for row in body[:1000] if column < len(row) and row[column].strip()]
        if values and any(DECIMAL_COMMA_TEXT.fullmatch(v) for v in values) and all(
            INTEGER_TEXT.fullmatch(v) or DECIMAL_COMMA_TEXT.fullmatch(v) or GROUPED_COMMA_DECIMAL_TEXT.fullmatch(v)
            or v in NULL_MARKERS for v in values
        ):
            return True
    return False


def _looks_like_header(first: list[str], body: list[list[str]], column_count: int, decimal_comma: bool) -> bool:
    """Whether the first row names the columns.

    Evidence for: a mostly typed column (numbers, dates, times...; a few text cells such as a
    totals row allowed) with a text cell on top, or with a value on top whose length differs
    from every value below when those all have one length (years above 3-digit counts, as
    Python's csv.Sniffer also reasons).
    Evidence against: a top cell shaped like most of the values below it. Tables of text only
    are taken to have a header, as nearly every CSV does (repeated or empty names included:
    scraped tables often have them)."""
    evidence = against = 0
    for column in range(min(len(first), column_count)):
        values = [row[column].strip() for row in body if column < len(row)]
        shapes = Counter(cell_shape(value, decimal_comma) for value in values)
        del shapes["empty"]
        filled = sum(shapes.values())
        if not filled or shapes["text"] > (1 - TYPED_COLUMN_SHARE) * filled:
            continue
        top_value = first[column].strip()
        top = cell_shape(top_value, decimal_comma)
        typed_lengths = [len(value) for value in values if cell_shape(value, decimal_comma) not in ("empty", "text")]
        one_length = len(typed_lengths) >= SAME_LENGTH_EVIDENCE and len(set(typed_lengths)) == 1
        if top == "text" or (top != "empty" and one_length and len(top_value) != typed_lengths[0]):
            evidence += 1
        elif shapes[top] >= TYPED_COLUMN_SHARE * filled:
            against += 1
    return bool(evidence) or not against


def _null_markers(body: list[list[str]], decimal_comma: bool) -> list[str]:
    """Markers like NA or NULL that stand for a missing value in otherwise typed columns, as long
    as no text column uses the same word as a real value."""
    if not body:
        return []
    found: set[str] = set()
    used_as_text: set[str] = set()
    width = max(len(row) for row in body)
    for column in range(width):
        values = [row[column].strip() for row in body if column < len(row)]
        markers = {v for v in values if v in NULL_MARKERS}
        typed = [v for v in values if v and v not in markers]
        classes = {cell_class(v, decimal_comma) for v in typed}
        if markers and typed and "text" not in classes:
            found |= markers
        elif "text" in classes:
            used_as_text |= markers
    return sorted(found - used_as_text)


def sniff_file(csv_path: Path, *, extension: str, settings: Settings, display_name: str) -> CsvLayout:
    """Sniff the first megabyte, or more when the first rows are longer than that."""
    sizes = (SNIFF_BYTES, 8 * SNIFF_BYTES, max(16 * SNIFF_BYTES, 4 * settings.max_field_kb * 1024))
    for size in sizes:
        with csv_path.open("rb") as source:
            head = source.read(size)
            complete = not source.read(1)
        text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=complete)
        if complete and not text.strip():
            raise BadRequest("The file is empty: upload a CSV file with a header row and at least one data row.")
        try:
            return sniff_layout(text, complete=complete, extension=extension, settings=settings)
        except _HeadTooShort:
            continue
    raise Invalid(
        f"The first rows of {display_name} are longer than {sizes[-1] // (1024 * 1024)} MB; "
        f"a single field may be at most {settings.max_field_kb:,} KB."
    )
