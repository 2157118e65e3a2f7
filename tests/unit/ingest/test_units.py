"""Money and percentages written as text become numbers at ingest, the unit kept in the details.

Each CSV is written the way spreadsheets and finance exports write them, ingested for real and
read back from the DuckDB file.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import plotly.data
import pytest

from lumiere.config import get_settings, reset_settings
from lumiere.services.ingest import ingest_csv_file
from lumiere.services.ingest.units import COMMA, POINT, cell_pattern, propose, recorded_unit, unit_of
from tests.helpers.rows import present


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield get_settings()
    reset_settings()


def ingest(tmp_path: Path, settings, text: str, name: str = "money.csv", encoding: str = "utf-8"):
    source = tmp_path / name
    source.write_bytes(text.encode(encoding))
    dest = tmp_path / f"{source.stem}.duckdb"
    result = ingest_csv_file(source, dest=dest, table_name="t", settings=settings, original_name=name)
    with duckdb.connect(str(dest), read_only=True) as con:
        rows = con.execute('SELECT * FROM "t"').fetchall()
    return result, {column["name"]: column["type"] for column in result.columns}, rows


def test_an_invoice_export_with_dollars_percents_and_accounting_negatives(tmp_path, settings):
    text = ("Invoice,Customer,Amount,Tax rate,Adjustment,Paid\n"
            'INV-001,Acme Corp,"$1,234.50",8.25%,"(1,200.00)",$0.00\n'
            'INV-002,Globex,$980.00,8.25%,-3.00,"$ -"\n'
            'INV-003,Initech,"$12,000.00",0 %,,$(45.10)\n'
            'INV-004,Umbrella,$75.99,10.5 %,"1,200.00",$12\n')
    result, types, rows = ingest(tmp_path, settings, text)
    assert types == {"Invoice": "VARCHAR", "Customer": "VARCHAR", "Amount": "DOUBLE", "Tax rate": "DOUBLE",
                     "Adjustment": "DOUBLE", "Paid": "DOUBLE"}
    assert rows == [
        ("INV-001", "Acme Corp", 1234.5, 8.25, -1200.0, 0.0),
        ("INV-002", "Globex", 980.0, 8.25, -3.0, 0.0),
        ("INV-003", "Initech", 12000.0, 0.0, None, -45.1),
        ("INV-004", "Umbrella", 75.99, 10.5, 1200.0, 12.0),
    ]
    # Percentages are stored as written: "over 10 percent" is `> 10`.
    assert result.details["units"] == {"Amount": "$", "Tax rate": "%", "Paid": "$"}
    assert "Adjustment" not in result.details["units"]  # accounting negatives without a currency
    notes = result.details["notes"]
    assert "Column 'Amount' was read as amounts in $ (DOUBLE) from text such as '$1,234.50'; the unit $ is kept." \
        in notes
    assert any(note.startswith("Column 'Tax rate' was read as percentages") and "12 % is 12" in note
               for note in notes)
    assert any(note.startswith("Column 'Adjustment' was read as numbers") for note in notes)


def test_a_european_export_with_decimal_commas_and_euros(tmp_path, settings):
    text = ("Artikel;Preis;Rabatt;Versand\n"
            "Kaffeebohnen;1.234,50 €;12 %;€12\n"
            "Tee;12,00 €;5,5 %;€4,90\n"
            "Tasse;0,99 €;;€0\n"
            "Wasserkocher;-45,10 €;-2 %;€1.000\n")
    result, types, rows = ingest(tmp_path, settings, text, "preise.csv", "cp1252")
    assert types == {"Artikel": "VARCHAR", "Preis": "DOUBLE", "Rabatt": "DOUBLE", "Versand": "DOUBLE"}
    assert rows == [("Kaffeebohnen", 1234.5, 12.0, 12.0), ("Tee", 12.0, 5.5, 4.9), ("Tasse", 0.99, None, 0.0),
                    ("Wasserkocher", -45.1, -2.0, 1000.0)]
    assert result.details["units"] == {"Preis": "€", "Rabatt": "%", "Versand": "€"}


def test_pounds_yen_and_currency_codes(tmp_path, settings):
    text = ("city,rent,fare,budget,salary\n"
            'London,"£1,850",¥210,USD 12,"EUR 52,000"\n'
            "Leeds,£950,¥1200,USD 7.50,EUR 38000\n"
            'Bath,"£1,100",¥0,"USD 1,234",EUR 41000\n')
    result, types, rows = ingest(tmp_path, settings, text, "cities.csv")
    assert types == {"city": "VARCHAR", "rent": "BIGINT", "fare": "BIGINT", "budget": "DOUBLE", "salary": "BIGINT"}
    assert rows == [("London", 1850, 210, 12.0, 52000), ("Leeds", 950, 1200, 7.5, 38000),
                    ("Bath", 1100, 0, 1234.0, 41000)]
    assert result.details["units"] == {"rent": "£", "fare": "¥", "budget": "USD", "salary": "EUR"}


def test_the_ambiguous_separator_is_settled_by_the_columns_other_cells(tmp_path, settings):
    grouped = "item,price\nA,\"$1,234\"\nB,\"$2,500\"\nC,$12\n"  # only ambiguous cells: thousands
    _, types, rows = ingest(tmp_path, settings, grouped, "grouped.csv")
    assert types["price"] == "BIGINT" and [row[1] for row in rows] == [1234, 2500, 12]
    decimals = "item;price\nA;1,234 €\nB;12,5 €\nC;3 €\n"  # 12,5 can only be a decimal comma
    _, types, rows = ingest(tmp_path, settings, decimals, "decimals.csv")
    assert types["price"] == "DOUBLE" and [row[1] for row in rows] == [1.234, 12.5, 3.0]
    points = "item,price\nA,\"1,234 €\"\nB,\"1,234.50 €\"\n"  # 1,234.50 settles a decimal point
    _, types, rows = ingest(tmp_path, settings, points, "points.csv")
    assert [row[1] for row in rows] == [1234.0, 1234.5]


def test_a_column_with_one_cell_that_does_not_parse_stays_text(tmp_path, settings):
    lines = ["id,price,share"] + [f'{i},"${i % 900 + 100}.{i % 100:02d}",{i % 50}%' for i in range(60_000)]
    lines[45_001] = '45000,about $20,12%'
    lines[50_001] = '50000,$19.99,twelve percent'
    result, types, _ = ingest(tmp_path, settings, "\n".join(lines) + "\n", "late.csv")
    assert types == {"id": "BIGINT", "price": "VARCHAR", "share": "VARCHAR"}
    assert "units" not in result.details
    assert not any("amounts" in note or "percentages" in note for note in result.details["notes"])


def test_two_currencies_in_one_column_stay_text_and_plain_text_is_untouched(tmp_path, settings):
    text = ("product,price,label,year\n"
            'Mug,$5,USD,(2019)\n'
            'Tea,€4,EUR,(2020)\n'
            'Pot,$7,50%,2021\n')
    result, types, _ = ingest(tmp_path, settings, text, "mixed.csv")
    assert types == {"product": "VARCHAR", "price": "VARCHAR", "label": "VARCHAR", "year": "VARCHAR"}
    assert "units" not in result.details


def test_real_data_written_as_money_reads_back_equal(tmp_path, settings):
    """plotly's tips, with the bill and the tip written as dollars and the tip rate as a percent."""
    frame = plotly.data.tips()
    written = frame.assign(
        total_bill=frame.total_bill.map(lambda value: f"${value:,.2f}"),
        tip=frame.tip.map(lambda value: f"$ {value:.2f}"),
        rate=(frame.tip / frame.total_bill * 100).round(1).map(lambda value: f"{value} %"),
    )
    result, types, rows = ingest(tmp_path, settings, written.to_csv(index=False), "tips.csv")
    assert types["total_bill"] == types["tip"] == types["rate"] == "DOUBLE"
    assert [row[0] for row in rows] == [round(value, 2) for value in frame.total_bill]
    assert [row[1] for row in rows] == [round(value, 2) for value in frame.tip]
    assert [row[7] for row in rows] == list((frame.tip / frame.total_bill * 100).round(1))
    assert result.details["units"] == {"total_bill": "$", "tip": "$", "rate": "%"}


@pytest.mark.parametrize(
    ("cells", "units", "style"),
    [
        (["$1,234.50", "-$3.00", "$(45.10)", "$ -"], ["$"], POINT),
        (["1.234,50 €", "12 €", "- €"], ["€"], COMMA),
        (["12 %", "-2.5%", "0 %"], ["%"], POINT),
        (["(1,200.00)", "1,200.00", "35.10"], [], POINT),
        (["USD 12", "$5"], ["$", "USD"], POINT),
        (["1'234.50 CHF", "12 CHF"], ["CHF"], POINT),
        (["1 234,50 €", "5 €"], ["€"], COMMA),
    ],
)
def test_propose_reads_units_and_separators(cells, units, style):
    proposal = propose(cells, prefer_comma=False)
    assert proposal is not None
    assert proposal[0] == units and proposal[1][0] == style


@pytest.mark.parametrize(
    "cells",
    [["$5", "€4"], ["12%", "$3"], ["1200", "35"], ["(2019)", "(2020)"], ["$5", "five dollars"], ["SKU 12", "SKU 7"],
     ["$007"], [], ["n/a", "—"]],
)
def test_propose_leaves_other_columns_alone(cells):
    assert propose(cells, prefer_comma=False) is None


def test_unit_helpers():
    assert unit_of("-$3.00") == "$" and unit_of("(1,200.00)") is None and unit_of("12 %") == "%"
    assert unit_of("R$ 5,00") == "R$" and unit_of("USD 12") == "USD"
    assert recorded_unit(["USD", "$"]) == "$" and recorded_unit(["EUR"]) == "EUR" and recorded_unit([]) == ""
    pattern = cell_pattern(["$"], POINT)
    with duckdb.connect() as con:  # the same pattern reads the same in DuckDB's RE2
        for cell in ("$1,234.50", "-$3.00", "$(45.10)", "$ -", "$-3", "1,234", "$1,23", "$$5", "$1.2.3"):
            in_duckdb = present(con.execute("SELECT regexp_full_match(?, ?)", [cell, pattern]).fetchone())[0]
            assert bool(re.fullmatch(pattern, cell)) == in_duckdb, cell
