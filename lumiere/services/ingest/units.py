"""Money and percentages written as text ("$1,234.50", "12 %", "1.234,50 €", "(1,200.00)") read as
numbers at ingest, the unit kept aside.

A column is converted only when every non-empty cell parses with one unit (or none) and one pair of
thousands/decimal separators, decided per column from its own cells: "1,234.50" settles a decimal
point, "1.234,50" a decimal comma, and a column whose cells are all ambiguous ("1,234") reads the
separator as a thousands separator, since amounts and rates rarely carry three decimals. The sample
spread over the file proposes; the whole column is checked in DuckDB before anything changes, so one
cell that does not parse keeps the column as text.

Percentages are stored as written: "12 %" is 12, not 0.12, because people ask "over 10 percent".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from lumiere.services.ingest.values import DASH_PLACEHOLDERS, NULL_MARKERS
from lumiere.services.profiling import one_row, quote_ident, quote_literal

# Written forms of one currency (or of "percent"); the first is the unit recorded when no symbol
# appears in the column. A column mixing two of these groups is not converted.
UNIT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("%",),
    ("$", "US$", "USD"), ("€", "EUR"), ("£", "GBP"), ("¥", "JPY"), ("CNY", "RMB", "元"), ("₹", "INR"),
    ("₩", "KRW"), ("₽", "RUB"), ("₺", "TRY"), ("₪", "ILS"), ("R$", "BRL"), ("C$", "CA$", "CAD"),
    ("A$", "AU$", "AUD"), ("NZ$", "NZD"), ("HK$", "HKD"), ("S$", "SGD"), ("CHF",), ("kr",), ("SEK",),
    ("NOK",), ("DKK",), ("zł", "PLN"), ("Kč", "CZK"), ("MXN",), ("ZAR",),
)
_GROUP_OF = {form: index for index, group in enumerate(UNIT_GROUPS) for form in group}
_FORMS_LONGEST_FIRST = sorted(_GROUP_OF, key=len, reverse=True)
_SYMBOL = re.compile(r"[^A-Za-z]")  # "$", "€", "R$", "%": a symbol, where codes are letters only

_SPACE = "[ \u00a0\u202f]"  # plain, no-break and narrow no-break spaces (French and Swiss grouping)
_SIGN = "[-+\u2212]"
_ZERO_DASH = "[-\u2013\u2014]"  # accounting formats write a zero amount as "$ -"


@dataclass(frozen=True)
class Separators:
    """How a column writes numbers: the decimal mark and the marks that may group thousands."""

    decimal: str
    groups: tuple[str, ...]


POINT = Separators(".", (",", " ", "\u00a0", "\u202f", "'", "\u2019"))
COMMA = Separators(",", (".", " ", "\u00a0", "\u202f"))


@dataclass(frozen=True)
class AmountColumn:
    """A text column read as numbers: its SQL type, its unit ("" when there is none) and a sample cell."""

    type_name: str
    unit: str
    example: str


def _number(separators: Separators) -> str:
    """A number without sign: grouped thousands with one mark, or plain digits without a leading zero."""
    grouped = "|".join(rf"[1-9]\d{{0,2}}(?:{re.escape(mark)}\d{{3}})+" for mark in separators.groups)
    return rf"(?:{grouped}|[1-9]\d*|0)(?:{re.escape(separators.decimal)}\d+)?"


def cell_pattern(units: Sequence[str], separators: Separators) -> str:
    """One full-cell pattern (Python re and DuckDB's RE2 both read it) for a column's cells: a sign
    before or after a prefix unit, a suffix unit, parentheses for negatives, "$ -" for zero."""
    number = _number(separators)
    if not units:
        unit_forms = [rf"{_SIGN}?{number}", rf"\({_SPACE}*{number}{_SPACE}*\)"]
        return "(?:" + "|".join(unit_forms) + ")"
    unit = "(?:" + "|".join(re.escape(form) for form in sorted(units, key=len, reverse=True)) + ")"
    prefix, suffix = rf"{unit}{_SPACE}*", rf"{_SPACE}*{unit}"
    forms = [
        rf"{_SIGN}?{_SPACE}*(?:{prefix})?{number}",  # -$3.00, $3, 3
        rf"{prefix}{_SIGN}{number}",  # $-3.00
        rf"{_SIGN}?{number}{suffix}",  # -12 %, 1.234,50 €
        rf"\({_SPACE}*(?:{prefix})?{number}(?:{suffix})?{_SPACE}*\)",  # (1,200.00), ($1,200)
        rf"{prefix}\({number}\)",  # $(1,200)
        rf"{prefix}{_ZERO_DASH}+",  # $ -
        rf"{_ZERO_DASH}+{suffix}",  # - €
    ]
    return "(?:" + "|".join(forms) + ")"


def unit_of(cell: str) -> str | None:
    """The unit written before or after a cell's number ("$", "EUR", "%"), or None."""
    core = cell.strip().strip("()+-\u2212 \u00a0\u202f")
    for form in _FORMS_LONGEST_FIRST:
        if core.startswith(form) or core.endswith(form):
            return form
    return None


def _placeholders() -> list[str]:
    return ["", *sorted(set(NULL_MARKERS) | set(DASH_PLACEHOLDERS))]


def propose(cells: Sequence[str], prefer_comma: bool) -> tuple[list[str], list[Separators]] | None:
    """From a sample of one column: the unit forms it uses and the separator styles that read every
    cell, best first; None when the column is not money or percentages."""
    values = [cell.strip() for cell in cells if cell.strip() not in _placeholders()]
    if not values:
        return None
    forms = {form for form in map(unit_of, values) if form is not None}
    if len({_GROUP_OF[form] for form in forms}) > 1:
        return None  # two currencies (or money and percent) in one column
    units = sorted(forms)
    if not units and not any(value.startswith("(") for value in values):
        return None  # plain numbers are read_numbers_stored_as_text's business
    if not units and not any(mark in value for value in values for mark in ".,"):
        return None  # "(2019)" is a note, not an accounting negative
    styles = [
        style for style in (POINT, COMMA)
        if all(re.fullmatch(cell_pattern(units, style), value) for value in values)
    ]
    if len(styles) == 2:
        # Only ambiguous cells ("1,234", "1.234"): the mark is a thousands separator.
        commas = any("," in value for value in values)
        points = any("." in value for value in values)
        comma_first = (points and not commas) or (points == commas and prefer_comma)
        styles = [COMMA, POINT] if comma_first else [POINT, COMMA]
    return (units, styles) if styles else None


def recorded_unit(units: Sequence[str]) -> str:
    """The unit to record: a symbol seen in the column ("$") before a code ("USD")."""
    if not units:
        return ""
    symbols = [form for form in units if _SYMBOL.search(form)]
    return min(symbols or units, key=lambda form: (len(form), form))


def read_amounts_stored_as_text(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    types: dict[str, str],
    records: list[list[str]],
    prefer_comma: bool,
) -> dict[str, AmountColumn]:
    """Convert the text columns that hold money or percentages to numbers; returns what changed."""
    converted: dict[str, AmountColumn] = {}
    if not records:
        return converted
    table_sql = quote_ident(table_name)
    placeholders = ", ".join(quote_literal(value) for value in _placeholders())
    for index, (name, type_name) in enumerate(types.items()):
        if type_name != "VARCHAR":
            continue
        cells = [row[index] for row in records if index < len(row)]
        proposal = propose(cells, prefer_comma)
        if proposal is None:
            continue
        units, styles = proposal
        column = quote_ident(name)
        trimmed = f"trim({column})"
        present = f"{trimmed} NOT IN ({placeholders})"
        for style in styles:
            pattern = quote_literal(cell_pattern(units, style))
            misfits, decimals = one_row(
                con,
                f"SELECT count(*) FILTER (WHERE {present} AND NOT regexp_full_match({trimmed}, {pattern})), "
                f"bool_or({present} AND contains({trimmed}, {quote_literal(style.decimal)})) FROM {table_sql}",
            )
            if misfits:
                continue
            target = _convert(con, table_sql, column, present, style, "DOUBLE" if decimals else "BIGINT")
            if target is not None:
                example = next(cell.strip() for cell in cells if cell.strip() not in _placeholders())
                converted[name] = AmountColumn(target, recorded_unit(units), example)
            break
    return converted


def _convert(
    con: duckdb.DuckDBPyConnection, table_sql: str, column: str, present: str, style: Separators, target: str
) -> str | None:
    """ALTER the column to `target` (DOUBLE past BIGINT's range): keep digits and the decimal mark, a
    sign or parentheses make it negative, a unit with only a dash is zero. Returns the type used."""
    trimmed = f"trim({column})"
    digits = f"regexp_replace({trimmed}, {quote_literal('[^0-9' + re.escape(style.decimal) + ']')}, '', 'g')"
    if style.decimal == ",":
        digits = f"replace({digits}, ',', '.')"
    negative = f"regexp_matches({trimmed}, {quote_literal('[-(' + chr(0x2212) + ']')})"
    for candidate in (target,) if target == "DOUBLE" else (target, "DOUBLE"):
        value = (f"CASE WHEN {digits} = '' THEN 0 WHEN {negative} THEN -CAST({digits} AS {candidate}) "
                 f"ELSE CAST({digits} AS {candidate}) END")
        try:
            con.execute(
                f"ALTER TABLE {table_sql} ALTER COLUMN {column} SET DATA TYPE {candidate} USING "
                f"CASE WHEN {present} THEN {value} END"
            )
        except (duckdb.ConversionException, duckdb.OutOfRangeException):
            continue  # beyond BIGINT: DOUBLE
        return candidate
    return None
