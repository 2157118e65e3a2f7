"""Turning CSV bytes into a DuckDB dataset: encodings, delimiters, header rows, types, refusals.

Every file here is real bytes on disk and every dataset a real DuckDB file read back.
"""

from __future__ import annotations

import asyncio
import codecs
import gzip
import io
import sys
import zipfile
from pathlib import Path

import duckdb
import plotly.data
import pytest

from lumiere.config import get_settings, reset_settings
from lumiere.core.errors import BadRequest, Invalid, ServiceError, TooLarge, UnsupportedMedia
from lumiere.services.ingest import (
    StreamInspector,
    ingest_csv_file,
    receive_upload,
    table_name_from_filename,
    validate_upload_filename,
)
from tests.helpers.rows import present


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield get_settings()
    reset_settings()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def ingest(workdir: Path, settings, name: str, content: bytes, table: str = "t"):
    source = workdir / name
    source.write_bytes(content)
    dest = workdir / f"{table}.duckdb"
    result = ingest_csv_file(source, dest=dest, table_name=table, settings=settings, original_name=name)
    return result, dest


def read_back(dest: Path, table: str = "t") -> list[tuple]:
    with duckdb.connect(str(dest), read_only=True) as con:
        return con.execute(f'SELECT * FROM "{table}"').fetchall()


def column_types(result) -> dict[str, str]:
    return {column["name"]: column["type"] for column in result.columns}


def leftovers(settings, workdir: Path, *, expected: tuple[str, ...] = ()) -> list[Path]:
    """Files the ingest may have left: in the staging folder and next to the destination
    (anything but the source file and the `expected` outputs)."""
    staged = [p for p in settings.upload_tmp_dir.rglob("*") if p.is_file()] if settings.upload_tmp_dir.exists() else []
    return staged + [p for p in workdir.iterdir() if p.name not in expected and p.suffix not in (".csv", ".bin")]


# --- happy paths ---------------------------------------------------------------------------------


def test_tips_get_typed_columns_and_a_profile(workdir, settings):
    frame = plotly.data.tips()
    result, dest = ingest(workdir, settings, "tips.csv", frame.to_csv(index=False).encode())
    assert result.row_count == len(frame) == 244
    assert column_types(result) == {
        "total_bill": "DOUBLE", "tip": "DOUBLE", "sex": "VARCHAR", "smoker": "BOOLEAN",
        "day": "VARCHAR", "time": "VARCHAR", "size": "BIGINT",
    }
    profile = {column["name"]: column for column in result.profile["columns"]}
    assert profile["total_bill"]["min"] == frame.total_bill.min()
    assert profile["total_bill"]["max"] == frame.total_bill.max()
    assert profile["total_bill"]["mean"] == pytest.approx(frame.total_bill.mean())
    assert profile["sex"]["top_values"] == [{"value": "Male", "count": 157}, {"value": "Female", "count": 87}]
    assert profile["day"]["distinct_count"] == 4 and profile["day"]["null_count"] == 0
    assert profile["smoker"]["top_values"] == [{"value": False, "count": 151}, {"value": True, "count": 93}]
    assert len(read_back(dest)) == 244
    assert result.details["encoding"] == "UTF-8" and result.details["delimiter"] == "comma"
    assert result.details["header"] is True
    assert dest.stat().st_size == result.size_bytes


def test_semicolons_decimal_commas_and_windows_1252(workdir, settings):
    text = (
        "Produit;Prix (€);Quantité;Date de vente\n"
        "Café crème;1,50;3;01.02.2024\n"
        "Thé;1.234,75;4;15.03.2024\n"
        "Crêpe;2,25;5;20.03.2024\n"
    )
    result, dest = ingest(workdir, settings, "ventes.csv", text.encode("cp1252"))
    assert column_types(result) == {"Produit": "VARCHAR", "Prix (€)": "DOUBLE", "Quantité": "BIGINT",
                                    "Date de vente": "DATE"}
    rows = read_back(dest)
    assert [row[0] for row in rows] == ["Café crème", "Thé", "Crêpe"]
    assert [row[1] for row in rows] == [1.5, 1234.75, 2.25]
    assert str(rows[1][3]) == "2024-03-15"
    assert result.details["encoding"] == "Windows-1252 / Latin-1"
    assert result.details["delimiter"] == "semicolon" and result.details["decimal_separator"] == ","
    assert not leftovers(settings, workdir, expected=("t.duckdb",))


def test_cp1252_bytes_undefined_in_the_code_page_still_decode(workdir, settings):
    result, dest = ingest(workdir, settings, "odd.csv", b"name,code\nA\x81B,1\nC\x9dD,2\n")
    assert [row[0] for row in read_back(dest)] == ["A\x81B", "C\x9dD"]
    assert result.row_count == 2


def test_utf8_with_bom_keeps_the_first_column_name_clean(workdir, settings):
    content = codecs.BOM_UTF8 + "ville,habitants\nMontréal,1762949\n".encode()
    result, dest = ingest(workdir, settings, "bom.csv", content)
    assert column_types(result) == {"ville": "VARCHAR", "habitants": "BIGINT"}
    assert read_back(dest) == [("Montréal", 1762949)]
    assert result.details["encoding"] == "UTF-8 (with BOM)"


def test_utf16_export_is_transcoded(workdir, settings):
    content = "name\tscore\nZoë\t9.5\nÅsa\t7\n".encode("utf-16")
    result, dest = ingest(workdir, settings, "scores.txt", content)
    assert column_types(result) == {"name": "VARCHAR", "score": "DOUBLE"}
    assert read_back(dest) == [("Zoë", 9.5), ("Åsa", 7.0)]
    assert result.details["delimiter"] == "tab"


@pytest.mark.parametrize(
    ("name", "delimiter", "label"), [("a.tsv", "\t", "tab"), ("b.txt", "|", "pipe"), ("c.csv", ";", "semicolon")]
)
def test_delimiters_are_detected(workdir, settings, name, delimiter, label):
    frame = plotly.data.iris()
    result, dest = ingest(workdir, settings, name, frame.to_csv(index=False, sep=delimiter).encode())
    assert result.details["delimiter"] == label
    assert result.row_count == 150
    assert column_types(result)["sepal_length"] == "DOUBLE"
    assert read_back(dest)[0][4] == "setosa"


def test_excel_sep_hint_line(workdir, settings):
    result, dest = ingest(workdir, settings, "hint.csv", b"sep=;\ncity;people\nLyon;522250\nNice;342669\n")
    assert column_types(result) == {"city": "VARCHAR", "people": "BIGINT"}
    assert read_back(dest) == [("Lyon", 522250), ("Nice", 342669)]


def test_a_file_without_header_row_gets_numbered_columns(workdir, settings):
    result, _ = ingest(workdir, settings, "raw.csv", b"1,2.5,2024-01-03\n4,5.5,2024-02-04\n7,8.5,2024-03-05\n")
    assert result.details["header"] is False
    assert list(column_types(result)) == ["column0", "column1", "column2"]
    assert column_types(result)["column2"] == "DATE"
    assert result.row_count == 3


def test_original_column_names_are_kept_even_when_awkward(workdir, settings):
    header = 'Total Amount,"He said ""hi""",Größe,select,a.b\n'
    result, dest = ingest(workdir, settings, "names.csv", (header + "1,x,2,3,4\n5,y,6,7,8\n").encode())
    assert list(column_types(result)) == ["Total Amount", 'He said "hi"', "Größe", "select", "a.b"]
    with duckdb.connect(str(dest), read_only=True) as con:
        assert con.execute('SELECT sum("Total Amount"), max("He said ""hi""") FROM t').fetchone() == (6, "y")


def test_dates_timestamps_and_booleans(workdir, settings):
    text = "day,moment,flag,amount\n2024-01-05,2024-01-05 10:30:00,true,10\n2024-03-01,2024-03-01 23:59:59,false,\n"
    result, _ = ingest(workdir, settings, "times.csv", text.encode())
    assert column_types(result) == {"day": "DATE", "moment": "TIMESTAMP", "flag": "BOOLEAN", "amount": "BIGINT"}
    profile = {column["name"]: column for column in result.profile["columns"]}
    assert (profile["day"]["min"], profile["day"]["max"]) == ("2024-01-05", "2024-03-01")
    assert profile["moment"]["kind"] == "datetime" and profile["moment"]["max"] == "2024-03-01T23:59:59"
    assert profile["amount"]["null_count"] == 1


def test_a_late_value_that_does_not_fit_widens_the_column_instead_of_dropping_rows(workdir, settings):
    rows = [f"{i},{i},{i}" for i in range(30_000)]
    rows.append("30000,12.5,unknown")
    result, dest = ingest(workdir, settings, "late.csv", ("id,measure,code\n" + "\n".join(rows) + "\n").encode())
    assert result.row_count == 30_001
    assert column_types(result) == {"id": "BIGINT", "measure": "DOUBLE", "code": "VARCHAR"}
    assert result.details["widened_columns"] == {"code": "VARCHAR", "measure": "DOUBLE"}
    with duckdb.connect(str(dest), read_only=True) as con:
        assert con.execute("SELECT measure, code FROM t WHERE id = 30000").fetchone() == (12.5, "unknown")


def test_na_markers_in_numeric_columns_become_nulls_but_stay_text_elsewhere(workdir, settings):
    result, dest = ingest(workdir, settings, "na.csv", b"country,gdp,code\nNamibia,12.3,NA\nPeru,NA,PE\nChad,4.5,TD\n")
    # NA is also a real value (Namibia) in `code`: missing in `gdp` only.
    assert column_types(result) == {"country": "VARCHAR", "gdp": "DOUBLE", "code": "VARCHAR"}
    assert read_back(dest) == [("Namibia", 12.3, "NA"), ("Peru", None, "PE"), ("Chad", 4.5, "TD")]
    result, dest = ingest(workdir, settings, "na2.csv", b"country,gdp,pop\nNamibia,12.3,2.5\nPeru,NA,33\nChad,4.5,NA\n",
                          table="u")
    assert column_types(result) == {"country": "VARCHAR", "gdp": "DOUBLE", "pop": "DOUBLE"}
    assert read_back(dest, "u")[1] == ("Peru", None, 33.0)
    assert result.details["null_markers"] == ["NA"]


def test_a_few_ragged_rows_are_skipped_and_reported(workdir, settings):
    lines = ["a,b,c"] + [f"{i},{i},{i}" for i in range(1, 1001)]
    lines[500] = "500,500"  # line 501 of the file
    result, _ = ingest(workdir, settings, "ragged.csv", ("\n".join(lines) + "\n").encode())
    assert result.row_count == 999
    assert result.details["skipped_rows"] == 1 and result.details["first_skipped_line"] == 501


def test_large_tables_get_approximate_distincts_but_exact_top_value_counts(workdir, settings):
    source = workdir / "big.csv"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT i AS id, (['red','green','blue'])[1 + i % 3] AS colour, i % 7 AS bucket "
            f"FROM range(1200000) t(i)) TO '{source}' (HEADER)"
        )
    result = ingest_csv_file(source, dest=workdir / "big.duckdb", table_name="big", settings=settings)
    assert result.profile["approximate"] is True
    colour = next(c for c in result.profile["columns"] if c["name"] == "colour")
    assert colour["top_values"] == [{"value": "red", "count": 400000}, {"value": "green", "count": 400000},
                                    {"value": "blue", "count": 400000}] or sorted(
        item["count"] for item in colour["top_values"]) == [400000] * 3
    ident = next(c for c in result.profile["columns"] if c["name"] == "id")
    assert ident["distinct_count"] == pytest.approx(1_200_000, rel=0.1)
    assert "top_values" not in ident


# --- real-world shapes: escapes, headers, numbers written for people --------------------------------


def test_quotes_escaped_with_a_backslash(workdir, settings):
    text = (
        '"Rank","Title","Time","Path"\n'
        '"1","\\"Around the World\\"","5h 29\' 10\\"","C:\\\\temp"\n'
        '"2","She said \\"hi\\",\nthen left","+ 2\\"","\\\\\\\\server"\n'
        '"3","plain","s.t.",""\n'
    )
    result, dest = ingest(workdir, settings, "escaped.csv", text.encode())
    assert result.details["quote_escape"] == "backslash"
    assert any("backslash" in note for note in result.details["notes"])
    assert column_types(result) == {"Rank": "BIGINT", "Title": "VARCHAR", "Time": "VARCHAR", "Path": "VARCHAR"}
    assert read_back(dest) == [
        (1, '"Around the World"', "5h 29' 10\"", "C:\\temp"),
        (2, 'She said "hi",\nthen left', '+ 2"', "\\\\server"),
        (3, "plain", "s.t.", None),
    ]


def test_doubled_quotes_stay_the_default_even_next_to_a_trailing_backslash(workdir, settings):
    text = '"folder","files","note"\n"C:\\data\\","3","say ""cheese"""\n"D:\\x\\","4",""\n"E:\\","5","ok"\n'
    result, dest = ingest(workdir, settings, "paths.csv", text.encode())
    assert result.details["quote_escape"] == "doubled"
    assert read_back(dest) == [("C:\\data\\", 3, 'say "cheese"'), ("D:\\x\\", 4, None), ("E:\\", 5, "ok")]


def test_text_tables_whose_header_repeats_or_leaves_names_empty(workdir, settings):
    text = ('"Film","Film","","Date"\n'
            '"Kodachrome","16 mm","a","1935–1962"\n"Kodachrome","8 mm","","1936–1962"\n'
            '"Ektachrome","35 mm","b","1946–2012"\n')
    result, _ = ingest(workdir, settings, "films.csv", text.encode())
    assert result.details["header"] is True and result.row_count == 3
    names = list(column_types(result))
    assert names[0] == "Film" and names[3] == "Date"


def test_header_found_above_times_grouped_numbers_and_a_totals_row(workdir, settings):
    rows = [f'"K-{i}","{i}:4{i}.066","{i},3{i}7","{i}{i}.5%"' for i in range(1, 8)]
    text = '"Event","Time","Votes","Share"\n' + "\n".join(rows) + '\n"Total","","32,000","100%"\n'
    result, _ = ingest(workdir, settings, "events.csv", text.encode())
    assert result.details["header"] is True and result.row_count == 8
    assert list(column_types(result)) == ["Event", "Time", "Votes", "Share"]


def test_years_naming_columns_of_counts_are_a_header(workdir, settings):
    rows = [f"School {letter},{800 + i},{810 + i},{820 + i}" for i, letter in enumerate("ABCDEF")]
    result, _ = ingest(workdir, settings, "schools.csv", ("School,2007,2008,2009\n" + "\n".join(rows)).encode())
    assert result.details["header"] is True and result.row_count == 6
    assert column_types(result) == {"School": "VARCHAR", "2007": "BIGINT", "2008": "BIGINT", "2009": "BIGINT"}


def test_numbers_with_thousands_separators_are_numbers(workdir, settings):
    text = ('city,population,area,code,ratio\n'
            'Pune,"3,124,458",331.26,00412,"1,5"\n'
            'Nagpur,"2,405,665","1,227.5",00413,"2,5"\n'
            'Nashik,"1,486,053",267,00414,"3,5"\n')
    result, dest = ingest(workdir, settings, "cities.csv", text.encode())
    assert column_types(result) == {"city": "VARCHAR", "population": "BIGINT", "area": "DOUBLE", "code": "VARCHAR",
                                    "ratio": "VARCHAR"}  # 00412 is a code; "1,5" is not a grouped thousand
    assert read_back(dest) == [("Pune", 3124458, 331.26, "00412", "1,5"), ("Nagpur", 2405665, 1227.5, "00413", "2,5"),
                               ("Nashik", 1486053, 267.0, "00414", "3,5")]
    assert result.details["numbers_from_text"] == {"population": "BIGINT", "area": "DOUBLE"}
    semicolons = "stad;inwoners;oppervlakte\nUtrecht;361.924;99,21\nLeiden;125.100;23,27\nDelft;103.581;24,06\n"
    result, dest = ingest(workdir, settings, "steden.csv", semicolons.encode(), table="u")
    assert column_types(result) == {"stad": "VARCHAR", "inwoners": "BIGINT", "oppervlakte": "DOUBLE"}
    assert read_back(dest, "u")[0] == ("Utrecht", 361924, 99.21)


def test_dashes_plus_signs_and_typographic_minus_in_number_columns(workdir, settings):
    text = ('"Single","Peak US","Peak UK","Goal difference","Swing","Note"\n'
            '"One","11","—","+13","−3.1","—"\n'
            '"Two","—","4","-4","+0.5","re-release"\n'
            '"Three","2","–","0","−","-"\n')
    result, dest = ingest(workdir, settings, "chart.csv", text.encode())
    assert column_types(result) == {"Single": "VARCHAR", "Peak US": "BIGINT", "Peak UK": "BIGINT",
                                    "Goal difference": "BIGINT", "Swing": "DOUBLE", "Note": "VARCHAR"}
    assert read_back(dest) == [("One", 11, None, 13, -3.1, "—"), ("Two", None, 4, -4, 0.5, "re-release"),
                               ("Three", 2, None, 0, None, "-")]
    assert any("thousands separators" in note for note in result.details["notes"])


def test_a_number_column_is_checked_whole_before_it_is_converted(workdir, settings):
    lines = ["id,amount"] + [f'{i},"{i % 900 + 100},{i % 900 + 100:03d}"' for i in range(120_000)]
    lines[77_777] = '77776,"about 12,000"'
    result, dest = ingest(workdir, settings, "amounts.csv", ("\n".join(lines) + "\n").encode())
    assert result.row_count == 120_000
    assert column_types(result) == {"id": "BIGINT", "amount": "VARCHAR"}
    with duckdb.connect(str(dest), read_only=True) as con:
        assert con.execute("SELECT amount FROM t WHERE id = 77776").fetchone() == ("about 12,000",)
    lines[77_777] = '77776,"12,000"'
    result, dest = ingest(workdir, settings, "amounts2.csv", ("\n".join(lines) + "\n").encode(), table="u")
    assert column_types(result) == {"id": "BIGINT", "amount": "BIGINT"}
    with duckdb.connect(str(dest), read_only=True) as con:
        assert con.execute("SELECT amount FROM u WHERE id = 77776").fetchone() == (12000,)


# --- refusals ------------------------------------------------------------------------------------


def _duckdb_file_bytes(tmp: Path) -> bytes:
    path = tmp / "real.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE x AS SELECT 1 AS a")
    return path.read_bytes()


def _parquet_bytes(tmp: Path) -> bytes:
    path = tmp / "real.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT 1 AS a, 'x' AS b) TO '{path}' (FORMAT parquet)")
    return path.read_bytes()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tips.csv", plotly.data.tips().to_csv(index=False))
    return buffer.getvalue()


REFUSALS = {
    "gzip": (lambda tmp: gzip.compress(plotly.data.tips().to_csv(index=False).encode()), UnsupportedMedia, "gzip"),
    "zip": (lambda tmp: _zip_bytes(), UnsupportedMedia, "zip"),
    "parquet": (_parquet_bytes, UnsupportedMedia, "Parquet"),
    "duckdb": (_duckdb_file_bytes, UnsupportedMedia, "DuckDB"),
    "executable": (lambda tmp: Path(sys.executable).resolve().read_bytes()[:200_000], UnsupportedMedia, "executable"),
    "nul bytes": (lambda tmp: b"a,b\n1,2\n" + bytes(range(256)) * 10, UnsupportedMedia, "binary"),
    "empty": (lambda tmp: b"", BadRequest, "empty"),
    "blank lines only": (lambda tmp: b"\n\n  \n", BadRequest, "empty"),
    "header only": (lambda tmp: b"name,age,city\n", Invalid, "header row but no data rows"),
    "too many columns": (
        lambda tmp: (",".join(f"c{i}" for i in range(2001)) + "\n" + ",".join("1" * 2001) + "\n").encode(),
        Invalid, "2,001 columns",
    ),
    "huge field": (lambda tmp: b"id,text\n1," + b"x" * (1024 * 1024 + 10) + b"\n2,short\n", Invalid, "1,024 KB"),
    "ragged": (
        lambda tmp: b"a,b,c\n" + b"1,2,3\n" * 50 + b"4,5\n" * 10 + b"6,7,8\n" * 40,
        Invalid, "Line 52 has 2 fields where 3 were expected",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_files_leave_nothing_behind(workdir, settings, case):
    make, error_type, message = REFUSALS[case]
    scratch = workdir.parent / "scratch"
    scratch.mkdir()
    content = make(scratch)
    source = workdir / "upload.bin"
    source.write_bytes(content)
    dest = workdir / "out.duckdb"
    with pytest.raises(ServiceError) as caught:
        ingest_csv_file(source, dest=dest, table_name="t", settings=settings, original_name="upload.csv")
    assert type(caught.value) is error_type
    assert message in caught.value.detail
    assert str(workdir) not in caught.value.detail and str(settings.data_dir) not in caught.value.detail
    assert not dest.exists()
    assert not leftovers(settings, workdir)


def test_ragged_refusal_counts_the_bad_lines(workdir, settings):
    source = workdir / "upload.bin"
    source.write_bytes(b"a,b,c\n" + b"1,2,3\n" * 50 + b"4,5\n" * 10 + b"6,7,8\n" * 40)
    with pytest.raises(Invalid) as caught:
        ingest_csv_file(source, dest=workdir / "x.duckdb", table_name="t", settings=settings)
    assert "10 of 100 lines (10.0%)" in caught.value.detail
    assert "1% tolerated" in caught.value.detail


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "table"),
    [
        ("tips.csv", "tips"),
        ("Sales 2024 (EU).csv", "sales_2024_eu"),
        ("2024-report.tsv", "t_2024_report"),
        ("données.csv", "donnees"),
        ("数据.csv", "data"),
        ("a" * 100 + ".csv", "a" * 60),
    ],
)
def test_table_name_from_filename(filename, table):
    assert table_name_from_filename(filename) == table


@pytest.mark.parametrize(
    ("filename", "error_type"),
    [
        ("../etc/passwd.csv", BadRequest),
        ("dir/tips.csv", BadRequest),
        ("dir\\tips.csv", BadRequest),
        ("tips\x00.csv", BadRequest),
        ("tips\n.csv", BadRequest),
        ("", BadRequest),
        ("..", BadRequest),
        ("report.xlsx", UnsupportedMedia),
        ("tips.csv.gz", UnsupportedMedia),
        ("tips", UnsupportedMedia),
    ],
)
def test_bad_upload_file_names_are_refused(filename, error_type):
    with pytest.raises(error_type):
        validate_upload_filename(filename)


# --- streaming -----------------------------------------------------------------------------------


def test_inspector_keeps_utf8_valid_across_chunk_boundaries():
    data = ("name\n" + "é€ü" * 40_000 + "\n").encode()
    inspector = StreamInspector(max_bytes=10**9)
    for start in range(0, len(data), 4097):  # splits multi-byte characters
        inspector.feed(data[start : start + 4097])
    assert inspector.finish() == "utf-8"


def test_inspector_spots_a_latin1_byte_late_in_the_stream():
    inspector = StreamInspector(max_bytes=10**9)
    inspector.feed(b"name\n" + b"plain\n" * 50_000)
    inspector.feed(b"caf\xe9\n")
    assert inspector.finish() == "cp1252"


def test_inspector_stops_at_the_size_limit():
    inspector = StreamInspector(max_bytes=100_000)
    inspector.feed(b"a,b\n" + b"1,2\n" * 20_000)
    with pytest.raises(TooLarge) as caught:
        inspector.feed(b"1,2\n" * 10_000)
    assert "100000" not in caught.value.detail and "MB" in caught.value.detail


async def _chunks(data: bytes, size: int = 65536):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_receive_upload_streams_to_the_private_staging_folder(settings):
    data = plotly.data.tips().to_csv(index=False).encode()
    staged = asyncio.run(receive_upload("tips.csv", _chunks(data, 1000)))
    try:
        assert staged.path.parent == settings.upload_tmp_dir
        assert staged.path.read_bytes() == data and staged.size_bytes == len(data)
        assert staged.encoding == "utf-8"
        assert staged.path.stat().st_mode & 0o077 == 0
    finally:
        staged.discard()
    assert not staged.path.exists()


def test_a_refused_stream_is_deleted_on_the_spot(settings, monkeypatch):
    monkeypatch.setenv("LUMIERE_MAX_UPLOAD_MB", "1")
    reset_settings()
    with pytest.raises(TooLarge):
        asyncio.run(receive_upload("big.csv", _chunks(b"a,b\n" + b"1,2\n" * 400_000)))
    with pytest.raises(UnsupportedMedia):
        asyncio.run(receive_upload("packed.csv", _chunks(gzip.compress(b"a,b\n1,2\n" * 1000))))
    with pytest.raises(UnsupportedMedia):
        asyncio.run(receive_upload("late-nul.csv", _chunks(b"a,b\n" + b"1,2\n" * 50_000 + b"\x00\x01")))
    assert not [p for p in settings.upload_tmp_dir.rglob("*") if p.is_file()]


def test_values_duckdb_would_round_or_truncate_past_its_sample_are_caught(workdir, settings):
    """DuckDB types columns on its first rows and then casts loosely (12.5 -> 13 in a BIGINT
    column, 00123 -> 123, a time dropped from a DATE); windows over the file catch those."""
    lines = ["id,amount,zip,day"]
    for i in range(150_000):
        late = i >= 100_000 and i % 97 == 0
        lines.append(f"{i},{f'{i}.5' if late else i},{'0' if late else ''}{10000 + i % 80000},"
                     f"2024-01-{1 + i % 28:02d}{' 10:30:00' if late else ''}")
    result, dest = ingest(workdir, settings, "late.csv", ("\n".join(lines) + "\n").encode())
    assert result.row_count == 150_000
    assert column_types(result) == {"id": "BIGINT", "amount": "DOUBLE", "zip": "VARCHAR", "day": "TIMESTAMP"}
    with duckdb.connect(str(dest), read_only=True) as con:
        row = present(con.execute("SELECT amount, zip, day FROM t WHERE id = 100007").fetchone())
    assert row[0] == 100007.5 and row[1] == "030007" and str(row[2]) == "2024-01-20 10:30:00"
    assert any("'amount' was read as DOUBLE" in note for note in result.details["notes"])


def test_notes_explain_what_the_ingest_decided(workdir, settings):
    text = "sep=;\nnom;poids\nA;1,5\nB;NA\n" + "C;2,5\n" * 300 + "D\n"
    result, _ = ingest(workdir, settings, "notes.csv", text.encode("cp1252"))
    notes = result.details["notes"]
    assert "Columns are separated by semicolons." in notes
    assert "Numbers use a decimal comma." in notes
    assert "NA were read as missing values." in notes
    assert "Skipped 1 malformed row(s) with the wrong number of fields; the first is line 305." in notes
