"""Reads an XLSX back from its XML (openpyxl is not installed): each cell's value and how it is stored."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_EXCEL_EPOCH = datetime(1899, 12, 30)
_BUILTIN_DATE_FORMATS = set(range(14, 23))


@dataclass(frozen=True)
class Cell:
    value: Any  # str, float, bool or datetime
    stored: str  # "text", "number", "boolean" or "date"
    bold: bool = False


def _unescape(text: str) -> str:
    """OOXML writes control characters as _xHHHH_ (Excel shows the character)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda found: chr(int(found.group(1), 16)), text)


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None
    index = 0
    for letter in letters.group(0):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _styles(book: zipfile.ZipFile) -> tuple[list[bool], list[bool]]:
    """Per cell style: (is a date format, is bold)."""
    root = ElementTree.fromstring(book.read("xl/styles.xml"))
    custom = {
        int(fmt.get("numFmtId", "0")): fmt.get("formatCode", "")
        for fmt in root.findall("m:numFmts/m:numFmt", NS)
    }
    bold_fonts = [font.find("m:b", NS) is not None for font in root.findall("m:fonts/m:font", NS)]
    dates, bolds = [], []
    for xf in root.findall("m:cellXfs/m:xf", NS):
        fmt_id = int(xf.get("numFmtId", "0"))
        code = custom.get(fmt_id, "")
        dates.append(fmt_id in _BUILTIN_DATE_FORMATS or bool(re.search(r"[dy]", code)))
        bolds.append(bold_fonts[int(xf.get("fontId", "0"))])
    return dates, bolds


def read_sheets(data: bytes) -> dict[str, list[list[Cell | None]]]:
    """Sheet name -> rows of cells (None for an empty cell), in order."""
    book = zipfile.ZipFile(io.BytesIO(data))
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    names = [sheet.get("name", "") for sheet in workbook.findall("m:sheets/m:sheet", NS)]
    dates, bolds = _styles(book)
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(node.itertext()) for node in strings.findall("m:si", NS)]
    sheets: dict[str, list[list[Cell | None]]] = {}
    for number, name in enumerate(names, start=1):
        root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{number}.xml"))
        rows: list[list[Cell | None]] = []
        for row in root.findall("m:sheetData/m:row", NS):
            cells: list[Cell | None] = []
            for cell in row.findall("m:c", NS):
                index = _column_index(cell.get("r", "A"))
                cells.extend([None] * (index - len(cells)))
                style = int(cell.get("s", "0"))
                kind = cell.get("t", "n")
                raw = cell.findtext("m:v", default="", namespaces=NS)
                if kind == "inlineStr":
                    inline = cell.find("m:is", NS)
                    assert inline is not None
                    parsed = Cell(_unescape("".join(inline.itertext())), "text", bolds[style])
                elif kind == "s":
                    parsed = Cell(_unescape(shared[int(raw)]), "text", bolds[style])
                elif kind in ("str", "e"):
                    parsed = Cell(raw, "text", bolds[style])
                elif kind == "b":
                    parsed = Cell(raw == "1", "boolean", bolds[style])
                elif dates[style]:
                    parsed = Cell(_EXCEL_EPOCH + timedelta(days=float(raw)), "date", bolds[style])
                else:
                    parsed = Cell(float(raw), "number", bolds[style])
                cells.append(parsed)
            rows.append(cells)
        sheets[name] = rows
    return sheets


def frozen_header(data: bytes, sheet: int = 1) -> bool:
    book = zipfile.ZipFile(io.BytesIO(data))
    root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))
    pane = root.find("m:sheetViews/m:sheetView/m:pane", NS)
    return pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"
