"""A query worker process: runs guarded SQL on uploads under OS limits, one query at a time.

Started by `lumiere.services.query_workers` as `python -m lumiere.storage.query_worker <memory bytes>`.
Its private memory (RLIMIT_DATA) is capped for its whole life and its CPU time (RLIMIT_CPU) per
query, so a query that outgrows DuckDB's own accounting fails or kills this process, never the app.
The main thread reads requests from stdin; a second thread runs them and writes the answers to
stdout, so an `interrupt` frame can reach the running query. The end of stdin (the app closed the
pipe or died) ends the process at once.

A `query` request gets one answer frame. A `stream` request (exports: every row, any number) gets
a header frame with the columns, then one frame per batch of rows, then a `done` frame; the pipe's
small buffer makes this process wait while the app writes a batch, so neither side ever holds more
than a few batches. Streamed rows are DuckDB's own JSON (dates as text, NaN and infinities as
NaN/Infinity, which the app reads as null).
"""

from __future__ import annotations

import json
import math
import os
import queue
import resource
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from lumiere.core.json_values import json_safe
from lumiere.storage.plan_check import foreign_reads
from lumiere.storage.sandbox import DATASET_ALIAS, BlankSandbox, SandboxConfig, open_blank, sandboxed_connection
from lumiere.storage.worker_protocol import Failure, encode, encode_json_text, read_frame

_SPARE_CPU_S = 5.0  # opening an instance takes ~10 ms of CPU


class QueryFailed(Exception):
    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


class Runner:
    """Runs one request at a time; `interrupt` stops the request with that id if it is running."""

    def __init__(self, answers: BinaryIO) -> None:
        self._answers = answers
        self._lock = threading.Lock()
        self._request_id: int | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._interrupted = False
        self._last_config: SandboxConfig | None = None
        self._spare: BlankSandbox | None = None  # the next request's instance, opened while idle

    def interrupt(self, request_id: int) -> None:
        with self._lock:
            if request_id != self._request_id:
                return
            self._interrupted = True
            if self._connection is not None:
                self._connection.interrupt()

    def serve(self, requests: queue.Queue[dict[str, Any]]) -> None:
        while True:
            request = requests.get()
            if request.get("op") == "stream":
                self._stream(request)
                answer = b""
            else:
                answer = self._answer(request)
            with self._lock:
                self._request_id, self._connection, self._interrupted = None, None, False
            self._send(answer)
            self._open_spare()

    def _open_spare(self) -> None:
        """Open the next request's DuckDB instance now, after the answer went out; a failure here only
        means the next request opens its own."""
        if self._spare is not None or self._last_config is None:
            return
        _limit_cpu(_SPARE_CPU_S)  # the last request's CPU budget may be almost spent
        try:
            self._spare = open_blank(self._last_config)
        except (duckdb.Error, MemoryError):
            self._spare = None

    def _send(self, frame: bytes) -> None:
        if frame:
            self._answers.write(frame)
            self._answers.flush()

    def _stream(self, request: dict[str, Any]) -> None:
        """Every row of the query, in frames of at most `batch_rows` rows (and `max_bytes` bytes each).

        DuckDB itself turns each row into a JSON array (json_array over the checked query), so a
        batch becomes a frame by joining strings: no Python object per value on this side.
        """
        request_id = int(request["id"])
        with self._lock:
            self._request_id, self._interrupted = request_id, False
        _limit_cpu(float(request["cpu_s"]))
        batch_rows, max_bytes = int(request["batch_rows"]), int(request["max_bytes"])
        try:
            with self._opened(request) as connection:
                try:
                    columns = self._start_json_rows(connection, str(request["sql"]), request["tables"])
                    self._send(encode({"id": request_id, "ok": True, "columns": columns, "stream": True}))
                    sent = 0
                    while True:
                        self._check_interrupt()
                        fetched = connection.fetchmany(batch_rows)
                        if not fetched:
                            break
                        rows = ",".join(row[0] for row in fetched)
                        frame = encode_json_text(f'{{"id":{request_id},"rows":[{rows}]}}')
                        if len(frame) > max_bytes:
                            raise QueryFailed(Failure.TOO_BIG, str(len(frame)))
                        self._send(frame)
                        sent += len(fetched)
                except duckdb.InterruptException:
                    raise QueryFailed(Failure.INTERRUPTED, "interrupted") from None
                except duckdb.OutOfMemoryException as error:
                    raise QueryFailed(Failure.OUT_OF_MEMORY, str(error)) from None
                except duckdb.Error as error:
                    raise QueryFailed(Failure.FAILED, str(error)) from None
            self._send(encode({"id": request_id, "done": True, "row_count": sent}))
        except QueryFailed as failed:
            self._send(_failure(request_id, failed.failure, str(failed)))
        except MemoryError:
            self._send(_failure(request_id, Failure.OUT_OF_MEMORY, "out of memory"))

    def _answer(self, request: dict[str, Any]) -> bytes:
        request_id = int(request["id"])
        with self._lock:
            self._request_id, self._interrupted = request_id, False
        _limit_cpu(float(request["cpu_s"]))
        try:
            columns, rows, more = self._run(request)
            answer = encode({"id": request_id, "ok": True, "columns": columns, "rows": rows, "more": more})
        except QueryFailed as failed:
            return encode({"id": request_id, "ok": False, "failure": failed.failure.value, "message": str(failed)})
        except MemoryError:
            return _failure(request_id, Failure.OUT_OF_MEMORY, "out of memory")
        if len(answer) > int(request["max_bytes"]):
            return _failure(request_id, Failure.TOO_BIG, str(len(answer)))
        return answer

    def _run(self, request: dict[str, Any]) -> tuple[list[list[str]], list[list[Any]], bool]:
        with self._opened(request) as connection:
            return self._select(connection, str(request["sql"]), request["tables"], int(request["max_rows"]))

    @contextmanager
    def _opened(self, request: dict[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh sandbox on the request's dataset, reachable by `interrupt` while it is open."""
        config = SandboxConfig(
            str(request["memory_limit"]),
            int(request["threads"]),
            Path(request["spill_root"]),
            str(request["spill_prefix"]),
        )
        self._last_config, spare, self._spare = config, self._spare, None
        try:
            with sandboxed_connection(Path(request["dataset"]), config, spare) as connection:
                self._attach(connection)
                try:
                    yield connection
                finally:
                    self._attach(None)
        except duckdb.Error as error:
            raise QueryFailed(Failure.OPEN_FAILED, str(error)) from None

    def _select(
        self, connection: duckdb.DuckDBPyConnection, sql: str, tables: list[str] | None, max_rows: int
    ) -> tuple[list[list[str]], list[list[Any]], bool]:
        try:
            columns = self._start(connection, sql, tables)
            fetched = connection.fetchmany(max_rows + 1)
        except duckdb.InterruptException:
            raise QueryFailed(Failure.INTERRUPTED, "interrupted") from None
        except duckdb.OutOfMemoryException as error:
            raise QueryFailed(Failure.OUT_OF_MEMORY, str(error)) from None
        except duckdb.Error as error:
            raise QueryFailed(Failure.FAILED, str(error)) from None
        rows = [[json_safe(value) for value in row] for row in fetched[:max_rows]]
        return columns, rows, len(fetched) > max_rows

    def _start(self, connection: duckdb.DuckDBPyConnection, sql: str, tables: list[str] | None) -> list[list[str]]:
        """Check the statement and its plan, then start it; its rows are fetched from `connection`.

        Returns the result's [name, type] columns; raises duckdb errors as they come.
        """
        query = self._checked(connection, sql, tables)
        connection.execute(query)
        return [[str(name), str(kind)] for name, kind, *_ in connection.description or []]

    def _start_json_rows(
        self, connection: duckdb.DuckDBPyConnection, sql: str, tables: list[str] | None
    ) -> list[list[str]]:
        """Like `_start`, but each fetched row is one JSON array text; returns the query's own columns.

        The wrapper is checked again as a whole, so it reads nothing the query itself could not.
        """
        query = self._checked(connection, sql, tables)
        relation = connection.sql(query)  # binds only: names and types, nothing read yet
        columns = [[str(name), str(kind)] for name, kind in zip(relation.columns, relation.types, strict=True)]
        wrapped = self._checked(connection, f"SELECT json_array(*COLUMNS(*)) FROM ({query}) AS lumiere_rows", tables)
        connection.execute(wrapped)
        return columns

    def _checked(self, connection: duckdb.DuckDBPyConnection, sql: str, tables: list[str] | None) -> str:
        """The text of `sql`'s single SELECT after DuckDB's plan shows it reads only `tables`."""
        statements = connection.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise QueryFailed(Failure.REFUSED, "Only a single SELECT statement can run.")
        query = statements[0].query
        plans = dict(connection.execute(f"EXPLAIN (FORMAT JSON) {query}").fetchall())
        # The bound plan names every table the query refers to; the physical one every table function it calls.
        foreign = [
            read
            for kind in ("logical_plan", "physical_plan")
            for read in foreign_reads(json.loads(plans[kind]), tables, catalog=DATASET_ALIAS)
        ]
        if foreign:
            raise QueryFailed(Failure.REFUSED, "; ".join(foreign))
        self._check_interrupt()
        return query

    def _attach(self, connection: duckdb.DuckDBPyConnection | None) -> None:
        with self._lock:
            self._connection = connection
            if connection is not None and self._interrupted:
                connection.interrupt()

    def _check_interrupt(self) -> None:
        # An interrupt that lands between statements is lost on the connection; the flag keeps it.
        with self._lock:
            if self._interrupted:
                raise QueryFailed(Failure.INTERRUPTED, "interrupted")


def _failure(request_id: int, failure: Failure, message: str) -> bytes:
    return encode({"id": request_id, "ok": False, "failure": failure.value, "message": message})


def _limit_cpu(budget_s: float) -> None:
    """Past `budget_s` more CPU seconds the kernel sends SIGXCPU, which ends this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + budget_s)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def main() -> None:
    memory_bytes = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    requests_in, answers_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    runner = Runner(answers_out)
    requests: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=runner.serve, args=(requests,), name="query-runner", daemon=True).start()
    while True:
        message = read_frame(requests_in)
        if message is None:
            os._exit(0)  # the app is gone or done with this worker; a running query dies with it
        if message.get("op") == "interrupt":
            runner.interrupt(int(message["id"]))
        else:
            requests.put(message)


if __name__ == "__main__":
    main()
