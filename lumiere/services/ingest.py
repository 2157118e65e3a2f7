"""From an uploaded byte stream to one immutable DuckDB file holding one table.

Two halves: `receive_upload` streams the bytes to a private staging file while checking them
(size limit, magic numbers, NUL bytes, UTF-8 validity) so a bad upload is refused early and
never held in memory; `ingest_csv_file` turns a CSV on disk into a DuckDB file with DuckDB's
own CSV reader, using our own sniff where DuckDB's is weak (delimiter with decimal commas,
header row, null markers) and its rejects accounting for ragged rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import secrets
import shutil
import unicodedata
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from lumiere.config import Settings, get_settings
from lumiere.services.errors import BadRequest, Invalid, TooLarge, UnsupportedMedia
from lumiere.services.profiling import profile_table, quote_ident, quote_literal
from lumiere.services.warehouse import scrub_message
from lumiere.storage.datasets import new_temp_path

ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt")
MAX_FILENAME_CHARS = 255
HEAD_CHECK_BYTES = 64 * 1024  # magic numbers and control characters are judged on this much
SNIFF_BYTES = 1024 * 1024  # delimiter, header and number format are judged on this much
SNIFF_RECORDS = 5000
COPY_CHUNK = 4 * 1024 * 1024
TABLE_NAME_CHARS = 60
MAX_RETYPE_ROUNDS = 3
TYPED_COLUMN_SHARE = 0.8  # a column whose values below the first row are this typed has a type
SAME_LENGTH_EVIDENCE = 5  # typed values of one length below a top cell of another: a header
SPREAD_WINDOWS = 32  # windows across a big file whose values check the sniffed integer/date types
SPREAD_WINDOW_BYTES = 64 * 1024
DUCKDB_MAX_LINE_BYTES = 2 * 1024 * 1024

# (offset, signature, what it is): formats that are not CSV text whatever the file is called.
MAGIC_NUMBERS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"PK\x03\x04", "a zip archive (or an Excel .xlsx file)"),
    (0, b"PK\x05\x06", "a zip archive"),
    (0, b"PK\x07\x08", "a zip archive"),
    (0, b"PAR1", "a Parquet file"),
    (8, b"DUCK", "a DuckDB database"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"\x7fELF", "an executable program"),
    (0, b"MZ", "a Windows executable"),
    (0, b"\xca\xfe\xba\xbe", "an executable program"),
    (0, b"\xcf\xfa\xed\xfe", "an executable program"),
    (0, b"\xfe\xed\xfa\xcf", "an executable program"),
    (0, b"#!", "a script"),
    (0, b"%PDF", "a PDF document"),
    (0, b"\x89PNG", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF8", "a GIF image"),
    (0, b"BM", "a bitmap image"),
    (0, b"RIFF", "a media file"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"(\xb5/\xfd", "a zstd archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls/.doc)"),
    (0, b"ARROW1", "an Arrow file"),
    (0, b"Obj\x01", "an Avro file"),
    (0, b"ORC", "an ORC file"),
    (257, b"ustar", "a tar archive"),
)
# Control characters that never appear in text, as a share of the head: above this, it is binary.
BINARY_CONTROL_SHARE = 0.01
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D, 0x1A, 0x1B}
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS) + b"\x7f"

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "cp1252": "Windows-1252 / Latin-1",
                  "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}
NULL_MARKERS = ("NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "#N/A", "-")
UNICODE_MINUS = "\u2212"  # typeset tables write −5 for -5
# Dashes tables put in a number column for "none" or "did not take part".
DASH_PLACEHOLDERS = ("-", "--", "–", "—", "―", "−")

_INT = re.compile(r"[+-]?\d+")
_DEC_POINT = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+")
_DEC_COMMA = re.compile(r"[+-]?\d+,\d+")
_GROUPED_COMMA_DECIMAL = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
                   r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_BOOL = {"true", "false", "yes", "no", "t", "f", "y", "n"}
_SEP_HINT = re.compile(r"sep=(.)\s*")
_STRICT_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_LEADING_ZERO = re.compile(r"[+-]?0\d+")
# Shapes of values DuckDB reads as text but that still mark a column as typed when telling a
# header row from data: 1,234,567 (thousands separators), 12.5 %, 1:47.066 (times and durations).
_GROUPED_POINT = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PERCENT = re.compile(r"[+-]?\d+([.,]\d+)?\s?%")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?")
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}[/.]\d{1,2}[/.]\d{1,2}")

# DuckDB reject error types that mean "this line does not have the right shape".
MALFORMED_ERRORS = ("MISSING COLUMNS", "TOO MANY COLUMNS", "UNQUOTED VALUE", "INVALID ENCODING", "INVALID STATE")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


# --------------------------------------------------------------------------------------------
# File names


def validate_upload_filename(filename: object) -> str:
    """The file name as given, refused when it could name a path or is not a CSV-like file."""
    if not isinstance(filename, str) or not filename.strip():
        raise BadRequest("The upload has no file name; send the file as the multipart field `file`.")
    if "\x00" in filename or "/" in filename or "\\" in filename:
        raise BadRequest("The file name may not contain path separators or NUL characters.")
    if any(unicodedata.category(char) == "Cc" for char in filename):
        raise BadRequest("The file name may not contain control characters.")
    name = filename.strip()
    if name in (".", "..") or len(name) > MAX_FILENAME_CHARS:
        raise BadRequest(f"Use a file name of 1 to {MAX_FILENAME_CHARS} characters.")
    if not name.lower().endswith(ACCEPTED_EXTENSIONS):
        raise UnsupportedMedia(
            "Only CSV text files can be uploaded: use a name ending in .csv, .tsv or .txt "
            "(export spreadsheets as CSV first)."
        )
    return name


def table_name_from_filename(filename: str) -> str:
    """A plain SQL identifier from a file name: tips.csv -> tips, 'Sales 2024 (EU).csv' -> sales_2024_eu."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "_", ascii_stem.lower()).strip("_")
    if not name:
        name = "data"
    if name[0].isdigit():
        name = f"t_{name}"
    return name[:TABLE_NAME_CHARS].rstrip("_")


# --------------------------------------------------------------------------------------------
# Receiving a stream


@dataclass
class StagedUpload:
    """An upload written to the private staging folder, checked but not yet ingested."""

    path: Path
    filename: str
    size_bytes: int
    encoding: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def refuse_non_text_head(head: bytes, *, utf16: bool = False) -> None:
    """Refuse archives, databases, executables, images and other binary content by its first bytes."""
    for offset, signature, what in MAGIC_NUMBERS:
        if head[offset : offset + len(signature)] == signature:
            raise UnsupportedMedia(
                f"This file is {what}, not CSV text. Upload an uncompressed .csv, .tsv or .txt file."
            )
    if utf16:
        return
    if b"\x00" in head:
        raise UnsupportedMedia("This file contains binary data (NUL bytes), not CSV text.")
    sample = head[:HEAD_CHECK_BYTES]
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > BINARY_CONTROL_SHARE * len(sample):
        raise UnsupportedMedia("This file contains binary data (control characters), not CSV text.")


class StreamInspector:
    """Checks an upload chunk by chunk: size limit, binary content, and whether it is valid UTF-8."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self.head_checked = False
        self.bom_encoding: str | None = None
        self.utf8_valid = True
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(
                f"The file is larger than the upload limit of {self.max_bytes // (1024 * 1024)} MB. "
                "Upload a smaller file or connect the database it comes from."
            )
        if not self.head_checked:
            self.head += chunk
            if len(self.head) >= HEAD_CHECK_BYTES:
                self._check_head()
            return
        self._check_body(chunk)

    def finish(self) -> str:
        """The encoding the bytes are in; refuses an empty upload."""
        if not self.head_checked:
            self._check_head()
        if self.bom_encoding is None and self.utf8_valid:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_valid = False
        if self.size == 0:
            raise BadRequest("The file is empty: upload a CSV file with a header row and at least one data row.")
        if self.bom_encoding:
            return self.bom_encoding
        return "utf-8" if self.utf8_valid else "cp1252"

    def _check_head(self) -> None:
        head, self.head, self.head_checked = self.head, b"", True
        self.bom_encoding = bom_encoding(head)
        refuse_non_text_head(head, utf16=self.bom_encoding in ("utf-16-le", "utf-16-be"))
        self._check_body(head)

    def _check_body(self, chunk: bytes) -> None:
        if self.bom_encoding in ("utf-16-le", "utf-16-be"):
            return
        if b"\x00" in chunk:
            raise UnsupportedMedia("This file contains binary data (NUL bytes), not CSV text.")
        if self.utf8_valid and not (chunk.isascii() and not self._utf8.getstate()[0]):
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_valid = False


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    return None


async def receive_upload(filename: str, chunks: AsyncIterator[bytes]) -> StagedUpload:
    """Stream an upload to a private staging file, refusing it as soon as something is wrong.

    Nothing stays behind on a refusal: the partial file is deleted before the error propagates.
    """
    settings = get_settings()
    name = validate_upload_filename(filename)
    inspector = StreamInspector(settings.max_upload_bytes)
    path = new_temp_path(".upload")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                if chunk:
                    inspector.feed(chunk)
                    out.write(chunk)
        encoding = inspector.finish()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedUpload(path=path, filename=name, size_bytes=inspector.size, encoding=encoding)


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV already on disk, with the same checks an upload gets."""
    inspector = StreamInspector(max_bytes=1 << 62)
    with path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK):
            inspector.feed(chunk)
    return inspector.finish()


# --------------------------------------------------------------------------------------------
# Encoding


def _cp1252_table() -> str:
    """CP-1252 with its five undefined bytes read as Latin-1, so every byte string decodes."""
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


_CP1252 = _cp1252_table()


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Rewrite a CP-1252 or UTF-16 file as UTF-8, chunk by chunk."""
    if encoding == "cp1252":
        with source.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(COPY_CHUNK):
                out.write(codecs.charmap_decode(chunk, "strict", _CP1252)[0].encode("utf-8"))
        return
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(COPY_CHUNK):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))


# --------------------------------------------------------------------------------------------
# Sniffing


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


def _value_class(value: str, decimal_comma: bool) -> str:
    if not value:
        return "empty"
    if _INT.fullmatch(value):
        return "number"
    if decimal_comma:
        if _DEC_COMMA.fullmatch(value) or _GROUPED_COMMA_DECIMAL.fullmatch(value):
            return "number"
    elif _DEC_POINT.fullmatch(value):
        return "number"
    if _DATE.fullmatch(value):
        return "date"
    if value.lower() in _BOOL:
        return "bool"
    return "text"


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

    first, body = records[0], records[1:]
    decimal_comma = delimiter != "," and _has_decimal_commas(body, column_count)
    header = _looks_like_header(first, body[:1000], column_count, decimal_comma)
    if header and not body:
        raise Invalid("The file has a header row but no data rows.")
    thousands = "." if decimal_comma and any(
        _GROUPED_COMMA_DECIMAL.fullmatch(cell.strip()) and not _DEC_COMMA.fullmatch(cell.strip())
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
        if values and any(_DEC_COMMA.fullmatch(v) for v in values) and all(
            _INT.fullmatch(v) or _DEC_COMMA.fullmatch(v) or _GROUPED_COMMA_DECIMAL.fullmatch(v)
            or v in NULL_MARKERS for v in values
        ):
            return True
    return False


def _shape_class(value: str, decimal_comma: bool) -> str:
    """`_value_class`, plus the typed shapes DuckDB leaves as text (for telling a header from data);
    placeholders for a missing value say nothing, like an empty cell."""
    if value in NULL_MARKERS or value in DASH_PLACEHOLDERS:
        return "empty"
    value_class = _value_class(value, decimal_comma)
    if value_class != "text":
        return value_class
    if not decimal_comma and _GROUPED_POINT.fullmatch(value):
        return "grouped number"
    if _PERCENT.fullmatch(value):
        return "percentage"
    if _CLOCK.fullmatch(value):
        return "time"
    return "text"


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
        shapes = Counter(_shape_class(value, decimal_comma) for value in values)
        del shapes["empty"]
        filled = sum(shapes.values())
        if not filled or shapes["text"] > (1 - TYPED_COLUMN_SHARE) * filled:
            continue
        top_value = first[column].strip()
        top = _shape_class(top_value, decimal_comma)
        typed_lengths = [len(value) for value in values if _shape_class(value, decimal_comma) not in ("empty", "text")]
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
        classes = {_value_class(v, decimal_comma) for v in typed}
        if markers and typed and "text" not in classes:
            found |= markers
        elif "text" in classes:
            used_as_text |= markers
    return sorted(found - used_as_text)


# --------------------------------------------------------------------------------------------
# Ingest


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
        layout = _sniff_file(
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
            _refuse_huge_fields(profile, settings)
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
    for column, type_name in details.get("widened_columns", {}).items():
        notes.append(f"Column {column!r} was read as {type_name}: some values further down did not fit "
                     "the type of its first rows.")
    if details.get("skipped_rows"):
        notes.append(f"Skipped {details['skipped_rows']:,} malformed row(s) with the wrong number of fields; "
                     f"the first is line {details['first_skipped_line']:,}.")
    return notes


def _sniff_file(csv_path: Path, *, extension: str, settings: Settings, display_name: str) -> CsvLayout:
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


def _max_line_bytes(settings: Settings) -> int:
    """DuckDB's own 2 MB line limit unless fields may be longer: a bigger limit makes DuckDB read
    with bigger buffers and write the table far more slowly."""
    return max(DUCKDB_MAX_LINE_BYTES, settings.max_field_kb * 1024 + 64 * 1024)


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
        "max_line_size": str(_max_line_bytes(settings)),
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
    spread = _spread_sample(csv_path, layout)
    for _ in range(MAX_RETYPE_ROUNDS + 1):
        con.execute(f"DROP TABLE IF EXISTS {table_sql}")
        try:
            con.execute(f"CREATE TABLE {table_sql} AS {_read_csv_sql(csv_path, layout, settings, forced)}")
        except duckdb.Error as error:
            raise _read_error(error, settings, display_name) from None
        misfits: dict[str, list[str]] = {
            column: list(values)
            for column, values in con.execute(
                "SELECT column_name, list(DISTINCT regexp_extract(error_message, "
                "'Could not convert string \"(.*)\" to', 1)) FROM reject_errors "
                "WHERE error_type = 'CAST' AND column_name IS NOT NULL GROUP BY column_name"
            ).fetchall()
        }
        current = {name: type_name for name, type_name, *_ in con.execute(f"DESCRIBE {table_sql}").fetchall()}
        for column, values in _silently_converted(current, spread, layout).items():
            misfits.setdefault(column, []).extend(values)
        if not misfits:
            break
        for column, values in misfits.items():
            forced[column] = _wider_type(current.get(column, "VARCHAR"), values, layout.decimal_comma)
        con.execute("DELETE FROM reject_errors")
        con.execute("DELETE FROM reject_scans")
    else:
        raise Invalid(f"{display_name} has values whose type could not be settled; check the file's columns.")
    current = {name: type_name for name, type_name, *_ in con.execute(f"DESCRIBE {table_sql}").fetchall()}
    numbers_from_text = _read_numbers_stored_as_text(con, table_name, current, spread, layout)

    row_count = con.execute(f"SELECT count(*) FROM {table_sql}").fetchone()[0]
    bad = con.execute(
        "SELECT count(DISTINCT line), min(line) FROM reject_errors WHERE error_type IN "
        f"({', '.join(quote_literal(kind) for kind in MALFORMED_ERRORS)})"
    ).fetchone()
    bad_lines, first_bad = bad[0] or 0, bad[1]
    if row_count == 0 and not bad_lines:
        raise Invalid("The file has a header row but no data rows.")
    total = row_count + bad_lines
    if bad_lines and bad_lines > settings.ragged_row_tolerance * total:
        example = con.execute(
            "SELECT error_message FROM reject_errors WHERE line = ? ORDER BY column_idx LIMIT 1", [first_bad]
        ).fetchone()
        found = _field_count_phrase(example[0] if example else "")
        raise Invalid(
            f"Line {first_bad} {found}; {bad_lines:,} of {total:,} lines ({bad_lines / total:.1%}) do not match "
            f"the {layout.column_count} columns of the header, more than the "
            f"{settings.ragged_row_tolerance:.0%} tolerated. Fix those lines and upload the file again."
        )
    details: dict[str, Any] = {}
    if bad_lines:
        details["skipped_rows"] = bad_lines
        details["first_skipped_line"] = first_bad
    widened = {column: type_name for column, type_name in forced.items() if column not in numbers_from_text}
    if widened:
        details["widened_columns"] = dict(sorted(widened.items()))
    if numbers_from_text:
        details["numbers_from_text"] = numbers_from_text
    return details


def _number_text_pattern(decimal_comma: bool) -> str:
    """A number as people write it in tables: an optional sign (+ too), optional thousands
    separators, a typographic minus, no leading zero (00123 is a code, not a number)."""
    group, point = (r"\.", ",") if decimal_comma else (",", r"\.")
    return rf"[+\-{UNICODE_MINUS}]?(\d{{1,3}}({group}\d{{3}})+|[1-9]\d*|0)({point}\d+)?"


def _read_numbers_stored_as_text(
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
        misfits, decimals = con.execute(
            f"SELECT count(*) FILTER (WHERE {not_placeholder} AND NOT regexp_full_match({trimmed}, "
            f"{quote_literal(pattern.pattern)})), bool_or({not_placeholder} AND contains({trimmed}, "
            f"{quote_literal(',' if layout.decimal_comma else '.')})) FROM {table_sql}"
        ).fetchone()
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


def _spread_sample(csv_path: Path, layout: CsvLayout) -> list[list[str]]:
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


def _silently_converted(
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


def _wider_type(current: str, failing_values: list[str | None], decimal_comma: bool) -> str:
    """The narrowest type that holds both the sniffed values and the ones that did not fit."""
    values = [value.strip() for value in failing_values if value]
    classes = {_value_class(value, decimal_comma) for value in values}
    if current in _INTEGER_TYPES and classes <= {"number"}:
        if any(_LEADING_ZERO.fullmatch(value) for value in values):
            return "VARCHAR"  # codes like 00123 keep their zeros
        if all(_INT.fullmatch(value) for value in values):
            return "HUGEINT" if current != "HUGEINT" else "VARCHAR"
        return "DOUBLE"
    if current == "DATE" and classes <= {"date"}:
        return "TIMESTAMP"
    return "VARCHAR"


def _field_count_phrase(message: str) -> str:
    match = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if match:
        return f"has {match.group(2)} fields where {match.group(1)} were expected"
    return "could not be read as a CSV row"


def _read_error(error: duckdb.Error, settings: Settings, display_name: str) -> Exception:
    """A user-facing refusal for a DuckDB read failure, without paths or the raw line."""
    message = str(error)
    if "Maximum line size" in message or "maximum line size" in message:
        line = re.search(r"Line: (\d+)", message)
        return Invalid(
            f"{f'Line {line.group(1)}' if line else 'A line'} of {display_name} is longer than "
            f"{_max_line_bytes(settings) / (1024 * 1024):g} MB; a single field may be at most "
            f"{settings.max_field_kb:,} KB. Shorten it and upload the file again."
        )
    if "Invalid unicode" in message or "INVALID ENCODING" in message:
        return Invalid(f"{display_name} mixes text encodings; save it as UTF-8 and upload it again.")
    if isinstance(error, duckdb.OutOfMemoryException):
        return Invalid(f"{display_name} needs more memory to load than the server allows; upload a smaller file.")
    first_line = message.splitlines()[0] if message else "unknown error"
    return Invalid(f"{display_name} could not be read as CSV: {scrub_message(first_line)[:300]}")


def _refuse_huge_fields(profile: dict[str, Any], settings: Settings) -> None:
    limit = settings.max_field_kb * 1024
    for column in profile["columns"]:
        if (column.get("max_length") or 0) > limit:
            raise Invalid(
                f"Column {column['name']!r} holds a value of {column['max_length'] / 1024:,.0f} KB; a single field "
                f"may be at most {settings.max_field_kb:,} KB. Shorten it and upload the file again."
            )


def rename_table(dataset_file: Path, old: str, new: str) -> None:
    """Rename the one table of a finished (not yet published) dataset file."""
    con = duckdb.connect(str(dataset_file), config={"autoload_known_extensions": False})
    try:
        con.execute(f"ALTER TABLE {quote_ident(old)} RENAME TO {quote_ident(new)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
