"""CSV and XLSX files written batch by batch, so any number of rows passes through in bounded memory.

Both neutralise text that a spreadsheet would run as a formula (a cell starting with = + - @, a tab
or a carriage return gets a leading apostrophe); numbers, dates and booleans are written as what
they are and never touched.

CSV: UTF-8 with a byte-order mark, RFC 4180 (comma, CRLF, quotes doubled, a field quoted when it
holds a comma, quote or line break). The mark is what makes Excel, the main reader of a
downloaded CSV, read UTF-8 instead of the local code page (accents and CJK otherwise come out
garbled); pandas, R, Python's csv with utf-8-sig, LibreOffice and Google Sheets all skip it.

XLSX: xlsxwriter's constant_memory mode (each row goes to a temporary file as it is written),
typed cells, a bold frozen header, and a new sheet every 1,048,575 rows (Excel's limit per sheet).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from lumiere.config import get_settings
from lumiere.core.resultset import ResultColumn

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
BOM = "\ufeff".encode()
EXCEL_MAX_ROWS = 1_048_576  # including the header row
EXCEL_MAX_CHARS = 32_767
_EXACT_INTEGERS = 2**53  # Excel keeps numbers as doubles; larger integers go in as text, exactly
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ' when it would otherwise start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _neutralised_batch(batch: list[list[Any]]) -> list[list[Any]]:
    """The batch with text neutralised and nested values (lists, objects) as JSON text, in place.

    Numbers and booleans go to the csv module as they are (it writes None as an empty field and
    floats in their shortest exact form). Every column is looked at, whatever its kind: a driver
    may hand text for a numeric type (PostgreSQL's money).
    """
    for row in batch:
        for index, value in enumerate(row):
            if value.__class__ is str:
                if value[:1] in _FORMULA_FIRST:
                    row[index] = "'" + value
            elif isinstance(value, (dict, list)):
                row[index] = neutralise(_text(value))
    return batch


def write_csv(columns: list[ResultColumn], batches: Iterable[list[list[Any]]], out: BinaryIO) -> int:
    """Header and every row of every batch; returns the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column.name) for column in columns])
    out.write(BOM + buffer.getvalue().encode("utf-8"))
    rows = 0
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_neutralised_batch(batch))
        out.write(buffer.getvalue().encode("utf-8"))
        rows += len(batch)
    return rows


class _Sheets:
    """The data sheets of one workbook, a new one each time a sheet is full."""

    def __init__(self, book: xlsxwriter.Workbook, columns: list[ResultColumn]) -> None:
        self.book = book
        self.columns = columns
        self.header = book.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF2F7"})
        self.date = book.add_format({"num_format": _DATE_FORMAT})
        self.datetime = book.add_format({"num_format": _DATETIME_FORMAT})
        self.sheet: Worksheet = self._new_sheet(1)
        self.row = 1

    def _new_sheet(self, number: int) -> Worksheet:
        sheet = self.book.add_worksheet("Data" if number == 1 else f"Data ({number})")
        for index, column in enumerate(self.columns):
            sheet.set_column(index, index, _width(column))
            sheet.write_string(0, index, column.name[:EXCEL_MAX_CHARS], self.header)
        sheet.freeze_panes(1, 0)
        return sheet

    def write_rows(self, batch: list[list[Any]]) -> None:
        """Each row into the current sheet (the next one when it is full), each value by its column's writer."""
        writers = self._writers()
        for values in batch:
            if self.row >= EXCEL_MAX_ROWS:
                self.sheet = self._new_sheet(len(self.book.worksheets()) + 1)
                self.row = 1
                writers = self._writers()
            row = self.row
            for index, value in enumerate(values):
                if value is not None:
                    writers[index](row, index, value)
            self.row += 1

    def _writers(self) -> list[Callable[[int, int, Any], None]]:
        """One function per column for the current sheet, chosen once by the column's kind (a
        value of another type than its column's still goes in as what it is)."""
        sheet = self.sheet
        write_number, write_string, write_boolean = sheet.write_number, sheet.write_string, sheet.write_boolean
        write_datetime = sheet.write_datetime

        def any_value(row: int, index: int, value: Any) -> None:
            if value.__class__ is bool:
                write_boolean(row, index, value)
            elif value.__class__ is float or (value.__class__ is int and -_EXACT_INTEGERS < value < _EXACT_INTEGERS):
                write_number(row, index, value)
            elif value.__class__ is str:
                write_string(row, index, neutralise(value)[:EXCEL_MAX_CHARS])
            else:
                write_string(row, index, neutralise(_text(value))[:EXCEL_MAX_CHARS])

        def number(row: int, index: int, value: Any) -> None:
            if value.__class__ is float or (value.__class__ is int and -_EXACT_INTEGERS < value < _EXACT_INTEGERS):
                write_number(row, index, value)
            else:
                any_value(row, index, value)

        def text(row: int, index: int, value: Any) -> None:
            if value.__class__ is str:
                if value[:1] in _FORMULA_FIRST:
                    value = "'" + value
                write_string(row, index, value if len(value) <= EXCEL_MAX_CHARS else value[:EXCEL_MAX_CHARS])
            else:
                any_value(row, index, value)

        def moment(cell_format: Any) -> Callable[[int, int, Any], None]:
            def write(row: int, index: int, value: Any) -> None:
                parsed = _moment(value) if value.__class__ is str else None
                if parsed is None:
                    any_value(row, index, value)
                else:
                    write_datetime(row, index, parsed, cell_format)

            return write

        by_kind: dict[str, Callable[[int, int, Any], None]] = {
            "integer": number, "number": number, "text": text,
            "date": moment(self.date), "datetime": moment(self.datetime),
        }
        return [by_kind.get(column.kind, any_value) for column in self.columns]


def _moment(text: str) -> datetime | date | None:
    """An ISO date or timestamp as Excel can hold it (no time zone, from 1900 on); None otherwise."""
    try:
        moment: datetime | date = (
            datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        )
    except ValueError:
        return None
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None)  # the wall time the database gave, as the page shows it
    return moment if moment.year >= 1900 else None


def _width(column: ResultColumn) -> float:
    if column.kind == "date":
        return 12
    if column.kind == "datetime":
        return 20
    return min(max(len(column.name) + 2, 10 if column.kind in ("integer", "number", "boolean") else 16), 50)


def write_xlsx(columns: list[ResultColumn], batches: Iterable[list[list[Any]]], out: BinaryIO) -> int:
    """A workbook with every row of every batch (typed cells); returns the number of rows."""
    tmp_dir = get_settings().upload_tmp_dir
    tmp_dir.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(out, {
        "constant_memory": True,
        "tmpdir": str(tmp_dir),
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "use_zip64": True,  # a sheet's XML passes 4 GB somewhere past ten million cells
    })
    rows = 0
    sheets = _Sheets(book, columns)
    for batch in batches:
        sheets.write_rows(batch)
        rows += len(batch)
    # Only a complete result becomes a workbook; after a failure the temporary files just go away.
    book.close()
    return rows
