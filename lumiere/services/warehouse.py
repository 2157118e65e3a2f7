"""Runs guarded SQL on a user's data: a locked-down DuckDB for uploads, the user's own database otherwise.

Every call goes through `sqlguard.guard_sql` first. Behind it, queries on uploads run in a worker
process (`query_workers`) under OS memory and CPU limits and a wall-clock deadline, in a DuckDB
sandbox (read-only attach, no file or network access, no extensions, locked configuration), after a
second check on DuckDB's own plan: it may read the source's tables and nothing else. Messages shown
to users carry no paths.
"""

from __future__ import annotations

import logging
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlglot import exp

from lumiere.config import get_settings
from lumiere.core.engine import ValueMatch
from lumiere.core.errors import BadRequest, NotFound, QueryRejected, Timeout
from lumiere.core.json_values import json_safe  # noqa: F401 - part of this module's API
from lumiere.core.resultset import ColumnKind, ResultColumn, ResultSet
from lumiere.models import Source
from lumiere.services import query_workers, value_index
from lumiere.services.sqlguard import GuardedSQL, SqlRefused, guard_sql
from lumiere.storage.datasets import dataset_path
from lumiere.storage.worker_protocol import Failure

_DIALECT_OF_KIND = {"csv": "duckdb", "postgresql": "postgres", "mysql": "mysql"}
_MAX_PHRASES = 200
_MAX_PHRASE_CHARS = 200
_MAX_TEXT_COLUMNS = 100
_VALUE_LOOKUP_TIMEOUT_S = 10.0

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
# Runs one guarded statement with a row cap: (columns, rows, more rows than the cap).
_Run = Callable[[str, int], tuple[list[ResultColumn], list[list[Any]], bool]]


def dialect_of(source: Source) -> str:
    """The sqlglot dialect the source's SQL is written and checked in."""
    try:
        return _DIALECT_OF_KIND[source.kind]
    except KeyError:
        raise BadRequest(f"Sources of kind {source.kind!r} cannot be queried.") from None


def allowed_tables(source: Source) -> list[str]:
    """The tables this source's queries may read: exactly the ones it lists."""
    names = [str(table["name"]) for table in source.tables_json or [] if table.get("name")]
    if not names and source.kind == "csv" and source.table_name:
        names = [source.table_name]
    return names


def kind_of(type_name: str) -> ColumnKind:
    """What charts and insights reason about, from a DuckDB/PostgreSQL/MySQL type name."""
    name = re.sub(r"\s+", " ", str(type_name or "").strip().upper())
    base = re.split(r"[(\[]", name, maxsplit=1)[0].strip()
    if name.endswith("[]") or base in {"STRUCT", "MAP", "LIST", "UNION", "ARRAY", "JSON", "JSONB"}:
        return "other"
    if base in {"BOOLEAN", "BOOL", "LOGICAL"} or name == "BIT(1)":
        return "boolean"
    if re.fullmatch(r"(U?(TINY|SMALL|MEDIUM|BIG|HUGE)?INT(EGER)?\d*( UNSIGNED)?|INT[248]|(BIG|SMALL)?SERIAL\d?|"
                    r"(TINY|SMALL|MEDIUM|BIG)?INT UNSIGNED|UHUGEINT|YEAR|LONG|SHORT|BYTE)", base):
        return "integer"
    if re.fullmatch(r"(DOUBLE( PRECISION)?|FLOAT\d*|REAL|DECIMAL|NUMERIC|DEC|MONEY|FIXED)( UNSIGNED)?", base):
        return "number"
    if base == "DATE":
        return "date"
    if base.startswith(("TIMESTAMP", "DATETIME")):
        return "datetime"
    if re.fullmatch(r"(VARCHAR|CHAR|CHARACTER( VARYING)?|NCHAR|NVARCHAR|BPCHAR|TEXT|TINYTEXT|MEDIUMTEXT|"
                    r"LONGTEXT|STRING|NAME|CITEXT|ENUM|SET|UUID|VARCHAR2)", base):
        return "text"
    return "other"


def execute(source: Source, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None) -> ResultSet:
    """Guard `sql`, run it sandboxed on the source, and return JSON-safe rows.

    At most `max_rows` rows come back (default settings.max_result_rows); when the query has
    more, `truncated` is set and `row_count` is the full count from a guarded COUNT(*).
    """
    settings = get_settings()
    cap = max_rows if max_rows is not None else settings.max_result_rows
    timeout = timeout_s if timeout_s is not None else settings.query_timeout_s
    if cap < 1:
        raise BadRequest("At least one row must be requested.")
    started = time.monotonic()
    deadline = started + timeout
    if source.kind == "csv":
        guarded = check_sql(source, sql, row_cap=cap)
        path = dataset_path(source)
        if not path.is_file():
            raise NotFound("The data of this source is no longer available; upload the file again.")
        return _in_sandbox(
            path, allowed_tables(source), lambda run: _collect(guarded, run, cap, started), deadline, timeout
        )
    # Imported here so that the database drivers load only when an external source is queried.
    from lumiere.storage import external

    params = external.params_for(source)
    guarded = check_sql(source, sql, row_cap=cap, schema=params.effective_schema)

    def run(text: str, rows: int) -> tuple[list[ResultColumn], list[list[Any]], bool]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(timeout)
        return external.run_readonly(params, text, timeout_s=remaining, max_rows=rows)

    return _collect(guarded, run, cap, started)


@dataclass
class RowStream:
    """Every row of a query, as it is read: its columns, then batches of JSON-safe rows."""

    columns: list[ResultColumn]
    batches: Iterator[list[list[Any]]]
    sql: str  # what runs (re-rendered by the guard, without a row cap)


@contextmanager
def stream(
    source: Source, sql: str, *, batch_rows: int | None = None, timeout_s: float | None = None
) -> Iterator[RowStream]:
    """Guard `sql` without a row cap and read every row of it, one batch at a time (exports).

    Uploads stream from a query worker (its OS memory limit and the plan check hold, with the
    export's CPU budget); external databases from a server-side cursor. `timeout_s` (default
    settings.export_timeout_s) bounds the whole read, including the caller's time between batches.
    Leaving the context early stops the query.
    """
    settings = get_settings()
    batch = batch_rows if batch_rows is not None else settings.export_batch_rows
    timeout = timeout_s if timeout_s is not None else settings.export_timeout_s
    if batch < 1:
        raise BadRequest("At least one row per batch must be requested.")
    if source.kind != "csv":
        from lumiere.storage import external

        params = external.params_for(source)
        guarded = check_sql(source, sql, schema=params.effective_schema, uncapped=True)
        with external.stream_readonly(params, guarded.sql, timeout_s=timeout, batch_rows=batch) as (columns, rows):
            yield RowStream(columns=columns, batches=rows, sql=guarded.sql)
        return
    guarded = check_sql(source, sql, uncapped=True)
    path = dataset_path(source)
    if not path.is_file():
        raise NotFound("The data of this source is no longer available; upload the file again.")
    deadline = time.monotonic() + timeout
    pool = query_workers.current_pool()
    with pool.lease(deadline) as worker:
        if worker is None:
            raise Timeout(f"Every query worker stayed busy for {timeout:g} s; try again in a moment.")
        request = {
            "id": pool.next_id(), "op": "stream", "dataset": str(path), "sql": guarded.sql,
            "batch_rows": batch, "tables": allowed_tables(source), "max_bytes": settings.max_result_bytes,
            "memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads,
            "cpu_s": settings.export_cpu_limit_s,
            "spill_root": str(settings.data_dir / "spill"), "spill_prefix": worker.spill_prefix,
        }
        frames = worker.stream(request, deadline, settings.query_stop_grace_s)
        try:
            header = _next_frame(frames, timeout)
            if header is None or not header.get("ok"):
                raise QueryRejected("The query ended before it returned its columns.")
            columns = [ResultColumn(name=name, type=kind, kind=kind_of(kind)) for name, kind in header["columns"]]
            yield RowStream(columns=columns, batches=_batches(frames, timeout), sql=guarded.sql)
        finally:
            frames.close()


def _next_frame(frames: Iterator[dict[str, Any]], timeout: float) -> dict[str, Any] | None:
    """The worker's next frame, None when it is done; its failure or its end as the service error it stands for."""
    try:
        frame = next(frames)
    except StopIteration:
        return None
    except query_workers.WorkerTimedOut:
        raise _timeout(timeout) from None
    except query_workers.WorkerGone as gone:
        raise _worker_gone(gone) from None
    if frame.get("ok") is False:
        _rows_of(frame, timeout)  # raises the failure's error
    return None if frame.get("done") else frame


def _batches(frames: Iterator[dict[str, Any]], timeout: float) -> Iterator[list[list[Any]]]:
    while (frame := _next_frame(frames, timeout)) is not None:
        yield frame["rows"]


def check_sql(
    source: Source, sql: str, *, row_cap: int | None = None, schema: str | None = None, uncapped: bool = False
) -> GuardedSQL:
    """The guard's verdict on `sql` for this source, without running it (SqlRefused says what to change).

    Used before SQL is kept for later (a learned example) as well as before it runs. `uncapped`
    renders it without a row cap (exports stream every row).
    """
    cap = None if uncapped else row_cap if row_cap is not None else get_settings().max_result_rows
    if source.kind == "csv":
        return guard_sql(sql, dialect=dialect_of(source), allowed_tables=allowed_tables(source), row_cap=cap,
                         allowed_schemas=["main"])
    if schema is None:
        from lumiere.storage import external

        schema = external.params_for(source).effective_schema
    return guard_sql(sql, dialect=dialect_of(source), allowed_tables=allowed_tables(source), row_cap=cap,
                     allowed_schemas=[schema], qualify_schema=schema)


def _collect(guarded: GuardedSQL, run: _Run, cap: int, started: float) -> ResultSet:
    """Runs the capped query, then counts the full result only when the cap cut it."""
    columns, rows, more = run(guarded.sql, cap)
    row_count, notes = len(rows), []
    if more and guarded.count_sql:
        try:
            row_count = int(run(guarded.count_sql, 1)[1][0][0])
        except (Timeout, BadRequest):
            notes.append(f"Showing the first {len(rows):,} rows; there are more, but counting them all failed.")
    return ResultSet(
        columns=columns,
        rows=rows,
        row_count=row_count,
        truncated=more,
        duration_ms=int((time.monotonic() - started) * 1000),
        sql=guarded.sql,
        notes=notes,
    )


# --- uploads: DuckDB sandbox in a worker process -------------------------------------------------


def run_sandboxed(
    dataset_file: Path, sql: str, *, max_rows: int, timeout_s: float, tables: list[str] | None = None
) -> tuple[list[ResultColumn], list[list[Any]], bool]:
    """Run SQL that already passed the guard in a fresh sandbox; returns (columns, rows, more).

    The plan check in the worker allows reading `tables` (None: every table of the file).
    """
    return _in_sandbox(dataset_file, tables, lambda run: run(sql, max_rows), time.monotonic() + timeout_s, timeout_s)


def _in_sandbox(
    dataset_file: Path, tables: list[str] | None, task: Callable[[_Run], _T], deadline: float, timeout: float
) -> _T:
    """Run `task` with a worker process of the pool to itself; each statement is one request to it.

    The worker opens a fresh sandbox per statement, checks DuckDB's plan against `tables`, and runs
    under OS memory and CPU limits; this thread keeps the wall clock (see query_workers).
    """
    settings = get_settings()
    pool = query_workers.current_pool()
    with pool.lease(deadline) as worker:
        if worker is None:
            raise Timeout(
                f"Every query worker stayed busy for {timeout:g} s; try again in a moment."
            )

        def run(sql: str, max_rows: int) -> tuple[list[ResultColumn], list[list[Any]], bool]:
            if time.monotonic() >= deadline:
                raise _timeout(timeout)
            request = {
                "id": pool.next_id(), "op": "query", "dataset": str(dataset_file), "sql": sql,
                "max_rows": max_rows, "tables": tables, "max_bytes": settings.max_result_bytes,
                "memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads,
                "cpu_s": settings.query_cpu_limit_s,
                "spill_root": str(settings.data_dir / "spill"), "spill_prefix": worker.spill_prefix,
            }
            try:
                answer = worker.ask(request, deadline, settings.query_stop_grace_s)
            except query_workers.WorkerTimedOut:
                raise _timeout(timeout) from None
            except query_workers.WorkerGone as gone:
                raise _worker_gone(gone) from None
            return _rows_of(answer, timeout)

        return task(run)


def _rows_of(answer: dict[str, Any], timeout: float) -> tuple[list[ResultColumn], list[list[Any]], bool]:
    """A worker's answer as (columns, rows, more), or the service error it stands for."""
    if answer.get("ok"):
        columns = [ResultColumn(name=name, type=kind, kind=kind_of(kind)) for name, kind in answer["columns"]]
        return columns, answer["rows"], bool(answer["more"])
    failure, message = Failure(answer["failure"]), str(answer.get("message", ""))
    settings = get_settings()
    if failure is Failure.INTERRUPTED:
        raise _timeout(timeout)
    if failure is Failure.OUT_OF_MEMORY:
        raise _out_of_memory()
    if failure is Failure.TOO_BIG:
        raise BadRequest(
            f"The result is larger than the {settings.max_result_mb} MB a query may return; "
            "select fewer columns or rows, or aggregate."
        )
    if failure is Failure.REFUSED:
        logger.warning("The plan check refused a query that passed the guard: %s", message)
        raise SqlRefused("This query reads something other than your tables, or is not a single SELECT.")
    if failure is Failure.OPEN_FAILED:
        raise BadRequest(f"The data of this source could not be opened: {scrub_message(message)}")
    raise QueryRejected(f"The query failed: {scrub_message(message)}")


def _worker_gone(gone: query_workers.WorkerGone) -> BadRequest:
    settings = get_settings()
    if gone.signal == signal.SIGXCPU:
        return BadRequest(
            f"This query needs more than the {settings.query_cpu_limit_s} s of CPU time allowed; "
            "filter or aggregate the data first."
        )
    # Past its OS memory limit a worker fails an allocation DuckDB or Python cannot recover from.
    logger.warning("A query worker ended (signal %s) while running a query; it is replaced.", gone.signal)
    return _out_of_memory()


def _out_of_memory() -> BadRequest:
    return BadRequest(
        f"This query needs more memory than the {get_settings().duckdb_memory_limit} allowed; "
        "filter or aggregate the data first."
    )


def _timeout(timeout: float) -> Timeout:
    return Timeout(
        f"The query ran longer than {timeout:g} s and was stopped; add filters or aggregate to make it faster."
    )


_ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:\\|/)[^\s'\"`()<>,;]*")


def scrub_message(text: str) -> str:
    """A database error as a user may see it: its first lines, without any file-system path."""
    data_dir = str(get_settings().data_dir)
    text = text.split("\nLINE ", 1)[0].replace(data_dir, "<data>")
    text = _ABSOLUTE_PATH.sub("<path>", text)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:500]


# --- placing a question's words on stored values -------------------------------------------------


def find_values(source: Source, phrases: list[str], *, limit: int = 50) -> list[ValueMatch]:
    """Stored values of the source's text columns equal to one of `phrases`, ignoring case and spaces around them.

    Each match carries the value exactly as stored, so a filter on it finds the rows. An upload's
    columns covered by its word-to-value index (value_index.py, built at ingest) are a dictionary
    lookup; other columns (too many distinct values, uploads from before the index, external
    databases) take one guarded query per table that scans at most settings.value_search_rows rows,
    so the work stays bounded on big tables. A lookup that runs out of time returns what it found.
    """
    wanted: dict[str, list[str]] = {}
    for phrase in phrases:
        if isinstance(phrase, str) and 0 < len(phrase.strip()) <= _MAX_PHRASE_CHARS:
            wanted.setdefault(phrase.strip().lower(), []).append(phrase)
        if len(wanted) >= _MAX_PHRASES:
            break
    if not wanted or limit < 1:
        return []
    index = _value_index_of(source)
    matches: list[ValueMatch] = []
    for table in source.tables_json or []:
        table_name = str(table["name"])
        text_columns = [
            str(column["name"]) for column in table.get("columns", []) if kind_of(str(column.get("type"))) == "text"
        ][:_MAX_TEXT_COLUMNS]
        if not text_columns:
            continue
        rows: list[tuple[str, str]] = []
        scanned = text_columns
        if index is not None and table_name == source.table_name:
            scanned = [name for name in text_columns if name not in index.indexed]
            indexed = [name for name in text_columns if name in index.indexed]
            rows = index.lookup(wanted, indexed)[: limit - len(matches)]
        timed_out = False
        if scanned and len(rows) < limit - len(matches):
            try:
                rows += _scan_values(source, table, scanned, sorted(wanted), limit - len(matches) - len(rows))
            except Timeout:
                timed_out = True
        for column, value in rows:
            matches.extend(
                ValueMatch(table=table_name, column=str(column), value=value, phrase=phrase)
                for phrase in wanted.get(value.strip(" ").lower(), [])
            )
        if timed_out or len(matches) >= limit:
            break
    return matches[:limit]


def _value_index_of(source: Source) -> value_index.ValueIndex | None:
    """The upload's word-to-value index, or None (external databases, uploads from before it)."""
    if source.kind != "csv" or not source.storage_key:
        return None
    return value_index.load_value_index(dataset_path(source))


def _scan_values(
    source: Source, table: dict[str, Any], columns: list[str], lowered_phrases: list[str], cap: int
) -> list[tuple[str, str]]:
    """(column, value) rows of the guarded scan over `columns` of one table, at most `cap` of them."""
    dialect = dialect_of(source)
    settings = get_settings()
    all_columns = [str(column["name"]) for column in table.get("columns", [])]
    lookup = _value_lookup_query(
        str(table["name"]), columns, all_columns, lowered_phrases, dialect, settings.value_search_rows
    )
    timeout = min(settings.query_timeout_s, _VALUE_LOOKUP_TIMEOUT_S)
    result = execute(source, lookup.sql(dialect=dialect), max_rows=cap, timeout_s=timeout)
    return [(str(column), value) for column, value in result.rows if isinstance(value, str)]


def _value_lookup_query(
    table: str, columns: list[str], all_columns: list[str], lowered_phrases: list[str], dialect: str, scan_rows: int
) -> exp.Query:
    """UNION ALL of `SELECT DISTINCT '<col>', "col" FROM ... WHERE LOWER("col") IN (...)`, one per column.

    Values with spaces around them (common after ', ' separators) match too. Only those are
    trimmed: TRIM on every row would more than double the cost of the scan.
    """
    table_node = exp.Table(this=exp.to_identifier(table, quoted=True))
    sample: exp.Select | None = None
    bound: exp.Expr | None = None
    if dialect == "duckdb" and "rowid" not in {name.lower() for name in all_columns}:
        # rowid bounds the scan without a sort: DuckDB skips the row groups past it.
        bound = exp.LT(this=exp.column("rowid"), expression=exp.Literal.number(scan_rows))
    else:
        # Elsewhere the first rows are read once into a CTE that every branch filters.
        sample = (
            exp.select(*[exp.column(exp.to_identifier(name, quoted=True)) for name in columns])
            .from_(table_node)
            .limit(scan_rows)
        )
        table_node = exp.Table(this=exp.to_identifier("lumiere_sample", quoted=True))

    def is_a_phrase(value: exp.Expr) -> exp.In:
        return exp.In(
            this=exp.Lower(this=value), expressions=[exp.Literal.string(phrase) for phrase in lowered_phrases]
        )

    branches: list[exp.Select] = []
    for name in columns:
        column = exp.column(exp.to_identifier(name, quoted=True))
        padded = exp.or_(column.like(exp.Literal.string(" %")), column.like(exp.Literal.string("% ")))
        condition = exp.or_(is_a_phrase(column.copy()), exp.and_(padded, is_a_phrase(exp.Trim(this=column.copy()))))
        if bound is not None:
            condition = exp.and_(bound, condition)
        branches.append(
            exp.select(exp.Literal.string(name).as_("column_name"), column.as_("value"))
            .distinct()
            .from_(table_node.copy())
            .where(condition)
        )
    query: exp.Query = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False)
    if sample is not None:
        query = query.with_("lumiere_sample", as_=sample)
    return query
