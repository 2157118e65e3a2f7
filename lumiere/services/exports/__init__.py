"""Exports of an answer as CSV, XLSX or PDF: downloads, email attachments and inline charts.

One writer for everything: `write_export(subject, format, out)` re-reads the answer's rows from its
source through the SQL guard and writes the file to any binary stream. CSV and XLSX hold every row
and stream them (`warehouse.stream`: batches from a query worker or a server-side cursor, never the
whole result in memory); the PDF holds the question, SQL, chart, insight and the first rows.
`chart_png` is the chart image the PDF and emails use (None when no browser can draw it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast, overload
from urllib.parse import quote

from sqlmodel import Session, col, select

from lumiere.charts import ChartSpec, build_figure, choose_chart, fitting_spec
from lumiere.charts.spec import ChartType
from lumiere.config import get_settings
from lumiere.core.enums import ExportFormat, QueryStatus
from lumiere.core.errors import Invalid, NotFound
from lumiere.core.resultset import ResultSet
from lumiere.models import Insight, Source, User
from lumiere.services import warehouse
from lumiere.services.exports import chart_image, pdf, tabular
from lumiere.services.history import get_query
from lumiere.services.policy import Action, may, usable_filter

CONTENT_TYPES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}
NO_BROWSER = "Chart not available: no browser could draw it on this server."
TABLE_CHART = "This answer is shown as a table, so it has no chart; its rows are below."
MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class ExportSubject:
    """What an export shows: an answer's question and SQL on its source, its chart and insight."""

    title: str
    question: str
    source: Source
    sql: str  # the query's SQL as shown; it passes the guard again (uncapped for CSV/XLSX) before it runs
    chart: dict[str, Any] | None  # the saved chart spec (Query.chart_json); None: chosen from the rows
    ran_at: datetime
    insight: str | None = None


@dataclass(frozen=True)
class ExportSummary:
    row_count: int  # rows in the file (CSV/XLSX), or rows of the result (PDF)
    byte_count: int
    content_type: str
    filename: str


def export_format(value: object) -> ExportFormat:
    """The format asked for, or a 422 that names the field and the choices."""
    try:
        return ExportFormat(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in ExportFormat)
        raise Invalid(f"format must be one of {choices}, not {str(value)[:20]!r}.", field="format") from None


def subject_for_query(session: Session, user: User, query_id: int) -> ExportSubject:
    """The export subject of a history entry the user may see (theirs or their workspace's; another user's: 404)."""
    query = get_query(session, user, query_id)
    if query.status != QueryStatus.OK:
        raise Invalid("This query did not succeed, so it has nothing to export. Fix it and run it again.",
                      field="query_id")
    source = session.get(Source, query.source_id) if query.source_id is not None else None
    if source is None or not may(session, user, source, Action.VIEW):
        raise NotFound(f"The data source '{query.source_name}' of this query was deleted, so it cannot be exported.")
    insight = session.exec(
        select(Insight.text)
        .where(Insight.query_id == query_id, usable_filter(Insight, user))
        .order_by(col(Insight.saved).desc(), col(Insight.created_at).desc(), col(Insight.id).desc())
        .limit(1)
    ).first()
    chart_title = str((query.chart_json or {}).get("title") or "").strip()
    title = query.question.strip() or chart_title or f"Query {query_id}"
    return ExportSubject(
        title=title[:MAX_TITLE_CHARS],
        question=query.question,
        source=source,
        sql=query.sql,
        chart=query.chart_json,
        ran_at=query.created_at,
        insight=insight,
    )


def filename_for(subject: ExportSubject, fmt: ExportFormat) -> str:
    """`<title>-<date>.<ext>`, kept as Unicode (the ASCII fallback is `ascii_filename`)."""
    stem = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", " ", subject.title)
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:80].strip() or "export"
    return f"{stem} {_utc(subject.ran_at):%Y-%m-%d}.{fmt.value}"


def ascii_filename(filename: str) -> str:
    """A filename any client accepts in a plain `filename=` parameter: ASCII letters, digits, - _ ."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    stem, _, ext = folded.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "export"
    return f"{stem[:80]}.{ext}"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII filename and the exact one as RFC 5987 `filename*`."""
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


class _Counting:
    """Counts the bytes written through it (the summary's byte_count)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.count = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def write_export(subject: ExportSubject, fmt: ExportFormat, out: BinaryIO) -> ExportSummary:
    """Run the subject's query and write it to `out` as `fmt`; service errors (guard, timeout) as usual."""
    fmt = export_format(fmt)
    counter = _Counting(out)
    counted = cast(BinaryIO, counter)
    if fmt is ExportFormat.PDF:
        rows = _write_pdf(subject, counted)
    else:
        write = tabular.write_csv if fmt is ExportFormat.CSV else tabular.write_xlsx
        with warehouse.stream(subject.source, subject.sql) as stream:
            rows = write(stream.columns, stream.batches, counted)
    return ExportSummary(
        row_count=rows, byte_count=counter.count, content_type=CONTENT_TYPES[fmt], filename=filename_for(subject, fmt)
    )


def _write_pdf(subject: ExportSubject, out: BinaryIO) -> int:
    result = warehouse.execute(subject.source, subject.sql)
    spec = _chart_spec(subject.chart, result, subject.question)
    image = None if spec.type == ChartType.TABLE else _png(spec, result)
    note = TABLE_CHART if spec.type == ChartType.TABLE else NO_BROWSER if image is None else None
    content = pdf.PdfContent(
        title=subject.title,
        question=subject.question,
        source_name=subject.source.name,
        sql=subject.sql,
        ran_at=subject.ran_at,
        read_at=datetime.now(UTC),
        insight=pdf.plain_text(subject.insight) if subject.insight else None,
        result=result,
        table_rows=get_settings().export_pdf_rows,
        chart_png=image,
        chart_note=note,
    )
    pdf.write_pdf(content, out)
    return result.row_count


def _chart_spec(chart: dict[str, Any] | None, result: ResultSet, question: str) -> ChartSpec:
    """The saved chart while it fits the rows, else the one the rows call for (as the Ask page does)."""
    return fitting_spec(chart, result) or choose_chart(result, question=question)


def _png(spec: ChartSpec, result: ResultSet) -> bytes | None:
    figure, _notes = build_figure(spec, result, theme="light")
    return chart_image.figure_png(figure)


@overload
def chart_png(subject: ExportSubject, /) -> bytes | None: ...


@overload
def chart_png(spec: ChartSpec | dict[str, Any] | None, result: ResultSet, /, *, question: str = "") -> bytes | None: ...


def chart_png(
    what: ExportSubject | ChartSpec | dict[str, Any] | None, result: ResultSet | None = None, /, *, question: str = ""
) -> bytes | None:
    """The answer's chart as a PNG (light theme, 900 x 480 at scale 2), or None when no browser can draw it
    or the answer is a table. From a subject it re-reads the rows (as many as the page shows);
    from a spec (ChartSpec or saved dict, None: choose one) and a result it draws those rows."""
    if isinstance(what, ExportSubject):
        result = warehouse.execute(what.source, what.sql)
        spec = _chart_spec(what.chart, result, what.question)
    else:
        if result is None:
            raise TypeError("chart_png(spec, result) needs the result to draw")
        saved = what.to_dict() if isinstance(what, ChartSpec) else what
        spec = _chart_spec(saved, result, question)
    if spec.type == ChartType.TABLE:
        return None
    return _png(spec, result)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


__all__ = [
    "CONTENT_TYPES",
    "ExportSubject",
    "ExportSummary",
    "ascii_filename",
    "chart_png",
    "content_disposition",
    "export_format",
    "filename_for",
    "subject_for_query",
    "write_export",
]
