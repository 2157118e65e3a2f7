"""CSV and XLSX exports: every row, typed cells, formulas neutralised, read back and compared with pandas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import plotly.data
import pytest

from lumiere.core.enums import ExportFormat
from lumiere.core.resultset import ResultColumn
from lumiere.services.exports import ExportSubject, tabular, write_export
from tests.helpers.datasets import frame_dataset
from tests.helpers.xlsx import frozen_header, read_sheets

RISKY = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "=HYPERLINK(\"http://x\")", "a=b", "plain", " =x"]


def _subject(frame: pd.DataFrame, table: str, sql: str) -> ExportSubject:
    return ExportSubject(title=table, question="", source=frame_dataset(frame, table), sql=sql, chart=None,
                         ran_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))


def _export(subject: ExportSubject, fmt: ExportFormat) -> tuple[bytes, int]:
    out = io.BytesIO()
    summary = write_export(subject, fmt, out)
    assert summary.byte_count == len(out.getvalue())
    return out.getvalue(), summary.row_count


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), ("'=already", "'=already"), ("東京", "東京"),
])
def test_neutralise_prefixes_only_what_would_start_a_formula(text: str, expected: str) -> None:
    assert tabular.neutralise(text) == expected


def test_csv_round_trips_through_pandas_with_every_row() -> None:
    gapminder = plotly.data.gapminder()
    data, rows = _export(_subject(gapminder, "gapminder", "SELECT * FROM gapminder"), ExportFormat.CSV)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    assert b"\r\n" in data and data.count(b"\r\n") == len(gapminder) + 1
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert rows == len(back) == len(gapminder) == 1704
    pd.testing.assert_frame_equal(back, gapminder, check_dtype=False)


def test_csv_quotes_per_rfc_4180_and_neutralises_text_only() -> None:
    frame = pd.DataFrame({
        "label": [*RISKY, 'say "hi", twice', "line\nbreak", "Crème brûlée 東京", None],
        "amount": [-5, 3, -1, 0, 7, 8, 9, 10, 11, 12, -13, 14, 15, 16],
    })
    data, _ = _export(_subject(frame, "risky", "SELECT * FROM risky"), ExportFormat.CSV)
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["label", "amount"]
    labels = [row[0] for row in parsed[1:]]
    assert labels[:10] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR", "'=HYPERLINK(\"http://x\")",
                           "a=b", "plain", " =x"]
    assert labels[10:] == ['say "hi", twice', "line\nbreak", "Crème brûlée 東京", ""]
    assert [row[1] for row in parsed[1:]][:3] == ["-5", "3", "-1"]  # numbers stay numbers, sign and all
    assert b'"say ""hi"", twice"' in data and b'"line\nbreak"' in data


def test_xlsx_cells_are_typed_with_a_bold_frozen_header() -> None:
    stocks = plotly.data.stocks()
    sql = ('SELECT CAST("date" AS DATE) AS day, CAST("date" AS TIMESTAMP) + INTERVAL 90 MINUTE AS moment, '
           'GOOG AS goog, CAST(ROUND(AAPL * 100) AS BIGINT) AS aapl_cents, GOOG > 1.2 AS up, '
           "CASE WHEN GOOG > 1.2 THEN '=UP()' ELSE 'down' END AS label, NULL AS nothing FROM stocks ORDER BY day")
    data, rows = _export(_subject(stocks, "stocks", sql), ExportFormat.XLSX)
    assert rows == len(stocks) == 105
    assert frozen_header(data)
    sheet = read_sheets(data)["Data"]
    header, first = sheet[0], sheet[1]
    assert [cell.value for cell in header if cell] == ["day", "moment", "goog", "aapl_cents", "up", "label", "nothing"]
    assert all(cell is not None and cell.bold and cell.stored == "text" for cell in header)
    assert first[0] is not None and first[0].stored == "date" and first[0].value == datetime(2018, 1, 1)
    assert first[1] is not None and first[1].stored == "date" and first[1].value == datetime(2018, 1, 1, 1, 30)
    assert first[2] is not None and first[2].stored == "number" and first[2].value == pytest.approx(stocks.GOOG[0])
    assert first[3] is not None and first[3].stored == "number" and first[3].value == round(stocks.AAPL[0] * 100)
    by_label = {row[5].value: row[4] for row in sheet[1:] if row[5] is not None}
    assert set(by_label) == {"'=UP()", "down"}  # a formula-like text is neutralised; the rest as is
    assert by_label["'=UP()"] is not None and by_label["'=UP()"].stored == "boolean" and by_label["'=UP()"].value
    assert all(len(row) <= 6 for row in sheet[1:])  # NULLs are empty cells
    assert len(sheet) == len(stocks) + 1


def test_xlsx_neutralises_text_but_never_numbers() -> None:
    frame = pd.DataFrame({"label": RISKY, "amount": [-1.5, 2, -3, 4, 5, 6, -7, 8, 9, 10]})
    data, _ = _export(_subject(frame, "risky", "SELECT * FROM risky"), ExportFormat.XLSX)
    sheet = read_sheets(data)["Data"]
    labels = [row[0].value for row in sheet[1:] if row[0] is not None]
    assert labels == [tabular.neutralise(text) for text in RISKY]
    amounts = [row[1] for row in sheet[1:]]
    assert all(cell is not None and cell.stored == "number" for cell in amounts)
    assert [cell.value for cell in amounts if cell] == [-1.5, 2, -3, 4, 5, 6, -7, 8, 9, 10]


def test_xlsx_starts_a_new_sheet_when_one_is_full(monkeypatch) -> None:
    monkeypatch.setattr(tabular, "EXCEL_MAX_ROWS", 101)  # 100 rows and the header per sheet
    tips = plotly.data.tips()
    data, rows = _export(_subject(tips, "tips", "SELECT * FROM tips"), ExportFormat.XLSX)
    sheets = read_sheets(data)
    assert list(sheets) == ["Data", "Data (2)", "Data (3)"]
    assert [len(rows) - 1 for rows in sheets.values()] == [100, 100, 44]
    assert rows == sum(len(rows) - 1 for rows in sheets.values()) == len(tips)
    assert all(frozen_header(data, number) for number in (1, 2, 3))


def test_xlsx_goes_to_a_stream_that_cannot_seek() -> None:
    class Pipe:
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, chunk: bytes) -> int:
            self.data += chunk
            return len(chunk)

        def flush(self) -> None:
            pass

    pipe = Pipe()
    columns = [ResultColumn("n", "BIGINT", "integer"), ResultColumn("when", "DATE", "date")]
    count = tabular.write_xlsx(columns, [[[1, "2024-02-29"], [2, "1850-01-01"]]], pipe)  # type: ignore[arg-type]
    sheet = read_sheets(bytes(pipe.data))["Data"]
    assert count == 2
    assert sheet[1][1] is not None and sheet[1][1].value == datetime(2024, 2, 29)
    assert sheet[2][1] is not None and sheet[2][1].stored == "text"  # before 1900: Excel has no such date


def test_big_integers_stay_exact_in_xlsx() -> None:
    out = io.BytesIO()
    tabular.write_xlsx([ResultColumn("id", "HUGEINT", "integer")], [[[2**63 - 1], [42]]], out)
    sheet = read_sheets(out.getvalue())["Data"]
    assert sheet[1][0] is not None and sheet[1][0].value == str(2**63 - 1)
    assert sheet[2][0] is not None and sheet[2][0].value == 42
