"""Runs guarded SQL on a user's data: a locked-down DuckDB for uploads, the user's own database otherwise.

Every call goes through `sqlguard.guard_sql` first; the sandbox (read-only attach, no file or
network access, no extensions, memory and thread limits, locked configuration, a watchdog that
interrupts long queries) is defence in depth behind it. Messages shown to users carry no paths.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from sqlglot import exp

from lumiere.config import get_settings
from lumiere.core.engine import ValueMatch
from lumiere.models import Source
from lumiere.services.errors import BadRequest, NotFound, QueryRejected, Timeout
from lumiere.services.resultset import ColumnKind, ResultColumn, ResultSet
from lumiere.services.sqlguard import GuardedSQL, guard_sql
from lumiere.storage.datasets import dataset_path

_DIALECT_OF_KIND = {"csv": "duckdb", "postgresql": "postgres", "mysql": "mysql"}
_DATASET_ALIAS = "dataset"
_SPILL_LIMIT = "8GB"  # disk DuckDB may use to spill big sorts/joins, per query
_MAX_PHRASES = 200
_MAX_PHRASE_CHARS = 200
_MAX_TEXT_COLUMNS = 100
_VALUE_LOOKUP_TIMEOUT_S = 10.0
_REINTERRUPT_S = 0.05

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
        guarded = guard_sql(sql, dialect=dialect_of(source), allowed_tables=allowed_tables(source), row_cap=cap,
                            allowed_schemas=["main"])
        path = dataset_path(source)
        if not path.is_file():
            raise NotFound("The data of this source is no longer available; upload the file again.")
        return _in_sandbox(path, lambda run: _collect(guarded, run, cap, started), deadline, timeout)
    # Imported here so that the database drivers load only when an external source is queried.
    from lumiere.storage import external

    params = external.params_for(source)
    schema = params.effective_schema
    guarded = guard_sql(sql, dialect=dialect_of(source), allowed_tables=allowed_tables(source), row_cap=cap,
                        allowed_schemas=[schema], qualify_schema=schema)

    def run(text: str, rows: int) -> tuple[list[ResultColumn], list[list[Any]], bool]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(timeout)
        return external.run_readonly(params, text, timeout_s=remaining, max_rows=rows)

    return _collect(guarded, run, cap, started)


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


# --- uploads: DuckDB sandbox ---------------------------------------------------------------------


@contextmanager
def sandboxed_connection(dataset_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that can read `dataset_file` (read-only) and nothing else on the machine."""
    settings = get_settings()
    spill_root = settings.data_dir / "spill"
    spill_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    spill_dir = Path(tempfile.mkdtemp(dir=spill_root))
    connection = duckdb.connect(
        ":memory:",
        config={
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "memory_limit": settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            "temp_directory": str(spill_dir),
            "max_temp_directory_size": _SPILL_LIMIT,
        },
    )
    try:
        alias = exp.to_identifier(_DATASET_ALIAS, quoted=True).sql("duckdb")
        path_literal = exp.Literal.string(str(dataset_file)).sql("duckdb")
        try:
            connection.execute(f"ATTACH {path_literal} AS {alias} (READ_ONLY)")
        except duckdb.Error as error:
            raise BadRequest(f"The data of this source could not be opened: {scrub_message(str(error))}") from None
        connection.execute("SET enable_external_access = false")
        connection.execute(f"USE {alias}")
        # On by default in interactive Python, where it draws on the server's stdout during long queries.
        connection.execute("SET enable_progress_bar = false")
        connection.execute("SET lock_configuration = true")
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill_dir, ignore_errors=True)


def run_sandboxed(
    dataset_file: Path, sql: str, *, max_rows: int, timeout_s: float
) -> tuple[list[ResultColumn], list[list[Any]], bool]:
    """Run SQL that already passed the guard in a fresh sandbox; returns (columns, rows, more)."""
    return _in_sandbox(dataset_file, lambda run: run(sql, max_rows), time.monotonic() + timeout_s, timeout_s)


def _in_sandbox(dataset_file: Path, task: Callable[[_Run], _T], deadline: float, timeout: float) -> _T:
    """Run `task` on a fresh sandbox in a worker thread while this thread keeps the time.

    At the deadline the running statement is interrupted, and again every few milliseconds (an
    interrupt that lands just before a statement starts is lost). Some DuckDB operators check for
    interrupts only between long steps; if the work has not stopped after
    settings.query_stop_grace_s, the caller gets the Timeout and the worker finishes on its own,
    so a DuckDB that stops responding never freezes the caller's thread.
    """
    grace = get_settings().query_stop_grace_s
    sandbox = _Sandbox(deadline, timeout)
    answer: Future[_T] = Future()
    worker = threading.Thread(
        target=sandbox.serve, args=(dataset_file, task, answer), name="lumiere-sandbox", daemon=True
    )
    worker.start()
    if not wait([answer], timeout=max(0.0, deadline - time.monotonic())).done:
        give_up_at = time.monotonic() + grace
        while not answer.done():
            remaining = give_up_at - time.monotonic()
            if remaining <= 0:
                logger.error("A DuckDB query ignored its interrupt for %g s; its thread is left to finish alone.", grace)
                raise _timeout(timeout)
            sandbox.interrupt()
            wait([answer], timeout=min(_REINTERRUPT_S, remaining))
    # Joining (not just waiting for the close) also sees the worker drop its last DuckDB object: one
    # destroyed by a daemon thread while the interpreter exits aborts the process.
    worker.join(grace)
    if worker.is_alive():
        logger.error("A DuckDB sandbox did not close within %g s; its thread is left to finish alone.", grace)
    return answer.result()


class _Sandbox:
    """One query's DuckDB sandbox: a worker thread drives it, the caller's thread only interrupts it.

    The interrupt happens only while a statement runs, under the lock the worker takes to start and
    to end each statement, so it never reaches a connection that is idle, closing or closed.
    """

    def __init__(self, deadline: float, timeout: float) -> None:
        self._deadline = deadline
        self._timeout = timeout
        self._lock = threading.Lock()
        self._running_on: duckdb.DuckDBPyConnection | None = None

    def serve(self, dataset_file: Path, task: Callable[[_Run], Any], answer: Future[Any]) -> None:
        try:
            with sandboxed_connection(dataset_file) as connection:
                try:
                    answer.set_result(task(lambda sql, max_rows: self._run(connection, sql, max_rows)))
                except Exception as error:  # noqa: BLE001 - raised again in the caller's thread
                    answer.set_exception(error)
        except Exception as error:  # opening or closing the sandbox failed
            if answer.done():
                logger.exception("Closing a DuckDB sandbox failed")
            else:  # the sandbox could not be opened: that is the answer
                answer.set_exception(error)

    def interrupt(self) -> None:
        with self._lock:
            if self._running_on is not None:
                self._running_on.interrupt()

    def _run(
        self, connection: duckdb.DuckDBPyConnection, sql: str, max_rows: int
    ) -> tuple[list[ResultColumn], list[list[Any]], bool]:
        with self._lock:
            if time.monotonic() >= self._deadline:
                raise _timeout(self._timeout)
            self._running_on = connection
        try:
            connection.execute(sql)
            fetched = connection.fetchmany(max_rows + 1)
            description = connection.description or []
        except duckdb.InterruptException:
            raise _timeout(self._timeout) from None
        except duckdb.OutOfMemoryException:
            raise BadRequest(
                f"The query needs more memory than the {get_settings().duckdb_memory_limit} allowed; "
                "filter or aggregate the data first."
            ) from None
        except duckdb.Error as error:
            raise QueryRejected(f"The query failed: {scrub_message(str(error))}") from None
        finally:
            with self._lock:
                self._running_on = None
        columns = [ResultColumn(name=str(name), type=str(kind), kind=kind_of(str(kind))) for name, kind, *_ in description]
        rows = [[json_safe(value) for value in row] for row in fetched[:max_rows]]
        return columns, rows, len(fetched) > max_rows


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


def json_safe(value: Any) -> Any:
    """A value the API can send as JSON: ISO dates, floats for decimals, None for NaN/inf, hex for bytes."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)


# --- placing a question's words on stored values -------------------------------------------------


def find_values(source: Source, phrases: list[str], *, limit: int = 50) -> list[ValueMatch]:
    """Stored values of the source's text columns equal to one of `phrases`, ignoring case and spaces around them.

    Each match carries the value exactly as stored, so a filter on it finds the rows. One guarded
    query per table; each scans at most settings.value_search_rows rows, so the work stays bounded
    on big tables. A lookup that runs out of time returns what it found.
    """
    wanted: dict[str, list[str]] = {}
    for phrase in phrases:
        if isinstance(phrase, str) and 0 < len(phrase.strip()) <= _MAX_PHRASE_CHARS:
            wanted.setdefault(phrase.strip().lower(), []).append(phrase)
        if len(wanted) >= _MAX_PHRASES:
            break
    if not wanted or limit < 1:
        return []
    dialect = dialect_of(source)
    scan_rows = get_settings().value_search_rows
    timeout = min(get_settings().query_timeout_s, _VALUE_LOOKUP_TIMEOUT_S)
    matches: list[ValueMatch] = []
    for table in source.tables_json or []:
        text_columns = [
            str(column["name"]) for column in table.get("columns", []) if kind_of(str(column.get("type"))) == "text"
        ][:_MAX_TEXT_COLUMNS]
        if not text_columns:
            continue
        all_columns = [str(column["name"]) for column in table.get("columns", [])]
        lookup = _value_lookup_query(str(table["name"]), text_columns, all_columns, sorted(wanted), dialect, scan_rows)
        try:
            result = execute(source, lookup.sql(dialect=dialect), max_rows=limit - len(matches), timeout_s=timeout)
        except Timeout:
            break
        for column, value in result.rows:
            if not isinstance(value, str):
                continue
            for phrase in wanted.get(value.strip(" ").lower(), []):
                matches.append(ValueMatch(table=str(table["name"]), column=str(column), value=value, phrase=phrase))
        if len(matches) >= limit:
            break
    return matches[:limit]


def _value_lookup_query(
    table: str, columns: list[str], all_columns: list[str], lowered_phrases: list[str], dialect: str, scan_rows: int
) -> exp.Query:
    """UNION ALL of `SELECT DISTINCT '<col>', "col" FROM ... WHERE LOWER("col") IN (...)`, one per column.

    Values with spaces around them (common after ', ' separators) match too. Only those are
    trimmed: TRIM on every row would more than double the cost of the scan.
    """
    table_node = exp.Table(this=exp.to_identifier(table, quoted=True))
    sample: exp.Select | None = None
    bound: exp.Expression | None = None
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

    def is_a_phrase(value: exp.Expression) -> exp.In:
        return exp.In(this=exp.Lower(this=value), expressions=[exp.Literal.string(phrase) for phrase in lowered_phrases])

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
