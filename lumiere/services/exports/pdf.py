"""The PDF of an answer: an HTML page laid out for print (A4, light, page X of Y) and rendered by WeasyPrint.

Every text that came from a user, their data or an LLM is HTML-escaped, and the renderer may load
nothing but the chart image embedded as a data: URL, so a value in the data cannot pull in a file
or reach the network. CJK text needs a font that has it: the stylesheet asks for Noto CJK (Debian
`fonts-noto-cjk`, which `make system-packages` installs) and Pango falls back to any installed font
that has the glyph.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any, BinaryIO

from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.core.text import plural

MAX_TABLE_COLUMNS = 12
MAX_CELL_CHARS = 200
MAX_SQL_CHARS = 20_000
MAX_INSIGHT_CHARS = 10_000

_STYLE = """
@page {
  size: A4;
  margin: 18mm 15mm 20mm 15mm;
  @bottom-left { content: string(doc-title); font-size: 8pt; color: #6b7280; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #6b7280; }
}
html { font-family: "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif;
       font-size: 10pt; color: #111827; background: #ffffff; line-height: 1.4; }
h1 { font-size: 17pt; margin: 0 0 8pt 0; string-set: doc-title content(); }
h2 { font-size: 11.5pt; margin: 14pt 0 5pt 0; color: #1f2937; border-bottom: 0.5pt solid #d1d5db;
     padding-bottom: 2pt; break-after: avoid; }
.brand { font-size: 8pt; color: #6b7280; letter-spacing: 0.08em; text-transform: uppercase; margin-bottom: 4pt; }
table.meta { border-collapse: collapse; margin-bottom: 4pt; }
table.meta th { text-align: left; font-weight: 600; color: #4b5563; padding: 1.5pt 10pt 1.5pt 0;
                vertical-align: top; white-space: nowrap; }
table.meta td { padding: 1.5pt 0; }
pre.sql { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 8.5pt;
          background: #f3f4f6; border: 0.5pt solid #e5e7eb; padding: 6pt; white-space: pre-wrap;
          overflow-wrap: anywhere; margin: 0; }
.chart img { width: 100%; border: 0.5pt solid #e5e7eb; }
.missing { color: #6b7280; font-style: italic; }
.insight p { margin: 0 0 5pt 0; }
table.rows { border-collapse: collapse; width: 100%; font-size: 7.5pt; table-layout: auto; }
table.rows th { background: #eef2f7; text-align: left; font-weight: 600; border-bottom: 0.8pt solid #9ca3af; }
table.rows th, table.rows td { padding: 2pt 3pt; overflow-wrap: anywhere; vertical-align: top; }
table.rows td { border-bottom: 0.3pt solid #e5e7eb; }
table.rows td.num { text-align: right; white-space: nowrap; }
table.rows thead { display: table-header-group; }
table.rows tr { break-inside: avoid; }
.caption { color: #4b5563; font-size: 8.5pt; margin: 0 0 4pt 0; }
"""


@dataclass(frozen=True)
class PdfContent:
    """What one answer's PDF shows; `chart_png` is None when no image could be drawn."""

    title: str
    question: str
    source_name: str
    sql: str
    ran_at: datetime
    read_at: datetime
    insight: str | None
    result: ResultSet
    table_rows: int
    chart_png: bytes | None
    chart_note: str | None  # why there is no chart image, when there is none


def plain_text(markdown: str) -> str:
    """An insight's light markdown (bold, italics, code) as the plain text a printed page shows."""
    text = re.sub(r"\*\*|__|`", "", markdown)
    return re.sub(r"(?<!\w)[_*](\S(?:.*?\S)?)[_*](?!\w)", r"\1", text)


def _when(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    # Floats to 10 significant digits (no 0.30000000000000004); integers as they are (years, ids).
    text = value if isinstance(value, str) else format(value, ".10g") if isinstance(value, float) else str(value)
    return escape(text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…")


def _paragraphs(text: str) -> str:
    text = text[:MAX_INSIGHT_CHARS]
    return "".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in text.split("\n\n") if part.strip())


def _rows_caption(result: ResultSet, shown: int, columns_shown: int) -> str:
    total = result.row_count
    if total == 0:
        words = "The query returned no rows."
    elif shown >= total:
        words = f"All {plural(total, 'row')}."
    else:
        words = f"First {shown:,} of {total:,} rows (the CSV and Excel exports hold every row)."
    if columns_shown < len(result.columns):
        words += f" First {columns_shown} of {len(result.columns)} columns."
    return words


def _table(result: ResultSet, limit: int) -> str:
    columns: list[ResultColumn] = result.columns[:MAX_TABLE_COLUMNS]
    rows = result.rows[:limit]
    numeric = [column.kind in ("integer", "number") for column in columns]
    head = "".join(f"<th>{escape(column.name)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{_cell(value)}</td>' if is_number else f"<td>{_cell(value)}</td>"
            for value, is_number in zip(row, numeric, strict=False)
        ) + "</tr>"
        for row in rows
    )
    caption = f'<p class="caption">{escape(_rows_caption(result, len(rows), len(columns)))}</p>'
    if not columns:
        return caption
    return f'{caption}<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(content: PdfContent) -> str:
    """The page as HTML (escaped throughout); `write_pdf` lays it out."""
    if content.chart_png is not None:
        encoded = base64.b64encode(content.chart_png).decode("ascii")
        chart = f'<div class="chart"><img alt="Chart" src="data:image/png;base64,{encoded}"></div>'
    else:
        chart = f'<p class="missing">{escape(content.chart_note or "Chart not available.")}</p>'
    sql = content.sql if len(content.sql) <= MAX_SQL_CHARS else content.sql[:MAX_SQL_CHARS] + "\n…"
    insight = (
        f'<h2>Insight</h2><div class="insight">{_paragraphs(content.insight)}</div>'
        if content.insight and content.insight.strip() else ""
    )
    meta = [
        ("Question", content.question or "(SQL written by hand)"),
        ("Data source", content.source_name),
        ("Asked", _when(content.ran_at)),
        ("Data read", _when(content.read_at)),
        ("Rows", f"{content.result.row_count:,}"),
    ]
    meta_rows = "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in meta)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(content.title)}</title><style>{_STYLE}</style></head><body>"
        f'<div class="brand">Lumiere</div><h1>{escape(content.title)}</h1>'
        f'<table class="meta">{meta_rows}</table>'
        f'<h2>SQL</h2><pre class="sql">{escape(sql)}</pre>'
        f"<h2>Chart</h2>{chart}{insight}"
        f"<h2>Rows</h2>{_table(content.result, content.table_rows)}"
        "</body></html>"
    )


def write_pdf(content: PdfContent, out: BinaryIO) -> None:
    # Imported here: WeasyPrint loads Pango through cffi, which only PDFs need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=render_html(content), url_fetcher=fetcher, base_url="data:,")
    document.write_pdf(out)  # the <title> becomes the PDF's title
