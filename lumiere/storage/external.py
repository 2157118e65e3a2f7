"""Connections to users' own PostgreSQL and MySQL/MariaDB databases.

Every session is read-only with a statement timeout, connects to the very address that passed
the address filter (`services/address_filter.py`, unless the operator allows private hosts) and
reports errors without the host or the password in them.
"""

from __future__ import annotations

import math
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pymysql
import pymysql.cursors
from psycopg2 import sql as pg_sql
from pymysql.constants import FIELD_TYPE
from sqlglot import exp

from lumiere.config import get_settings
from lumiere.core.errors import BadRequest, QueryRejected, Timeout
from lumiere.core.json_values import json_safe
from lumiere.core.resultset import ResultColumn
from lumiere.models import Source
from lumiere.storage.address_filter import first_refused, parse_address
from lumiere.storage.crypto import decrypt_secret

KINDS = ("postgresql", "mysql")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
MAX_TABLES = 500
# Tables estimated below this many rows are counted exactly when described.
EXACT_COUNT_BELOW = 100_000
DESCRIBE_TIMEOUT_S = 10.0

# PostgreSQL type OIDs -> (type name, kind) for the types results usually have.
_PG_TYPES: dict[int, tuple[str, str]] = {
    16: ("boolean", "boolean"), 18: ("char", "text"), 19: ("name", "text"), 20: ("bigint", "integer"),
    21: ("smallint", "integer"), 23: ("integer", "integer"), 25: ("text", "text"), 26: ("oid", "integer"),
    114: ("json", "other"), 700: ("real", "number"), 701: ("double precision", "number"),
    790: ("money", "number"), 1042: ("character", "text"), 1043: ("character varying", "text"),
    1082: ("date", "date"), 1083: ("time", "other"), 1114: ("timestamp", "datetime"),
    1184: ("timestamp with time zone", "datetime"), 1186: ("interval", "other"), 1700: ("numeric", "number"),
    2950: ("uuid", "text"), 3802: ("jsonb", "other"), 17: ("bytea", "other"),
}
# MySQL/MariaDB wire types -> (type name, kind).
_MYSQL_TYPES: dict[int, tuple[str, str]] = {
    FIELD_TYPE.DECIMAL: ("DECIMAL", "number"), FIELD_TYPE.NEWDECIMAL: ("DECIMAL", "number"),
    FIELD_TYPE.TINY: ("TINYINT", "integer"), FIELD_TYPE.SHORT: ("SMALLINT", "integer"),
    FIELD_TYPE.LONG: ("INT", "integer"), FIELD_TYPE.INT24: ("MEDIUMINT", "integer"),
    FIELD_TYPE.LONGLONG: ("BIGINT", "integer"), FIELD_TYPE.YEAR: ("YEAR", "integer"),
    FIELD_TYPE.FLOAT: ("FLOAT", "number"), FIELD_TYPE.DOUBLE: ("DOUBLE", "number"),
    FIELD_TYPE.DATE: ("DATE", "date"), FIELD_TYPE.NEWDATE: ("DATE", "date"),
    FIELD_TYPE.DATETIME: ("DATETIME", "datetime"), FIELD_TYPE.TIMESTAMP: ("TIMESTAMP", "datetime"),
    FIELD_TYPE.TIME: ("TIME", "other"), FIELD_TYPE.VARCHAR: ("VARCHAR", "text"),
    FIELD_TYPE.VAR_STRING: ("VARCHAR", "text"), FIELD_TYPE.STRING: ("CHAR", "text"),
    FIELD_TYPE.ENUM: ("ENUM", "text"), FIELD_TYPE.SET: ("SET", "text"), FIELD_TYPE.JSON: ("JSON", "other"),
    FIELD_TYPE.TINY_BLOB: ("TEXT", "text"), FIELD_TYPE.MEDIUM_BLOB: ("TEXT", "text"),
    FIELD_TYPE.LONG_BLOB: ("TEXT", "text"), FIELD_TYPE.BLOB: ("TEXT", "text"), FIELD_TYPE.BIT: ("BIT", "other"),
    FIELD_TYPE.NULL: ("NULL", "other"), FIELD_TYPE.GEOMETRY: ("GEOMETRY", "other"),
}
_MARIADB_TIMEOUT = 1969  # ER_STATEMENT_TIMEOUT
_MYSQL_TIMEOUT = 3024  # ER_QUERY_TIMEOUT
_MYSQL_LOST_CONNECTION = (2006, 2013)
# Server errors about the statement itself: syntax, unknown column/table/function, grouping, values.
_MYSQL_STATEMENT_ERRORS = frozenset((1054, 1055, 1064, 1111, 1146, 1292, 1305, 1366, 1630))


@dataclass(frozen=True)
class ExternalParams:
    kind: str  # postgresql | mysql
    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    schema: str | None = None

    @property
    def effective_schema(self) -> str:
        """The schema whose tables the source exposes: `public` / the database unless one was named."""
        if self.schema:
            return self.schema
        return "public" if self.kind == "postgresql" else self.database


def params_for(source: Source) -> ExternalParams:
    """Connection parameters of an external source, with its password decrypted."""
    connection = source.connection_json or {}
    if source.kind not in KINDS or not connection:
        raise BadRequest("This source is not a database connection.")
    return ExternalParams(
        kind=source.kind,
        host=str(connection["host"]),
        port=int(connection["port"]),
        database=str(connection["database"]),
        user=str(connection["user"]),
        password=decrypt_secret(source.password_encrypted) if source.password_encrypted else "",
        schema=connection.get("schema") or None,
    )


# --------------------------------------------------------------------------------------------
# Where we may connect


Resolver = Callable[[str], list[str]]


def system_resolve(name: str) -> list[str]:
    """Every address the system resolver gives for `name` (a literal address comes back as is)."""
    infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host_allowed(host: str, resolve: Resolver = system_resolve) -> None:
    """BadRequest when the host is (or resolves to) an address the operator has not allowed."""
    resolve_allowed_address(host, resolve)


def resolve_allowed_address(host: str, resolve: Resolver = system_resolve) -> str:
    """The address to connect to: every address the name resolves to must pass the address
    filter, and the connection then goes to the first one, so the name cannot re-resolve
    elsewhere in between."""
    name = host.strip().strip("[]")
    if not name or len(name) > 253 or any(char.isspace() or ord(char) < 32 for char in name):
        raise BadRequest("Enter the database host name or IP address.")
    try:
        resolved = resolve(name)
    except (OSError, UnicodeError):
        raise BadRequest(f"The host name {name!r} could not be resolved; check the spelling.") from None
    addresses = [address for address in map(parse_address, resolved) if address is not None]
    if not addresses:
        raise BadRequest(f"The host name {name!r} could not be resolved; check the spelling.")
    if not get_settings().allow_private_hosts:
        refused = first_refused(addresses)
        if refused is not None:
            raise BadRequest(
                f"Connections to {name!r} are not allowed on this server: it is or resolves to an address in "
                f"a refused range ({refused.reason}). Use the database's public host name or address; an "
                "operator can allow private networks with LUMIERE_ALLOW_PRIVATE_HOSTS."
            )
    return str(addresses[0])


# --------------------------------------------------------------------------------------------
# Sessions


@contextmanager
def _readonly_session(params: ExternalParams, timeout_s: float) -> Iterator[Any]:
    """A connection inside a READ ONLY transaction whose statements stop after `timeout_s`; the
    connection is closed on every way out (result, database error, timeout, interruption)."""
    address = resolve_allowed_address(params.host)
    connect_timeout = get_settings().connect_timeout_s
    if params.kind == "postgresql":
        connection = _connect_postgres(params, address, connect_timeout)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SET LOCAL statement_timeout = %s", (max(1, int(timeout_s * 1000)),))
                cursor.execute(
                    pg_sql.SQL("SET LOCAL search_path TO {}").format(pg_sql.Identifier(params.effective_schema))
                )
            yield connection
        finally:
            connection.close()
    else:
        connection = _connect_mysql(params, address, connect_timeout, timeout_s)
        try:
            with connection.cursor(pymysql.cursors.Cursor) as cursor:
                if "mariadb" in connection.get_server_info().lower():
                    cursor.execute("SET SESSION max_statement_time = %s", (max(0.001, timeout_s),))
                else:
                    cursor.execute("SET SESSION max_execution_time = %s", (max(1, int(timeout_s * 1000)),))
                # DDL (CREATE/DROP/RENAME TABLE, GRANT, ...) implicitly commits the transaction and would
                # then run in a new one; with the session itself read-only, that new one refuses it too.
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
                cursor.execute("START TRANSACTION READ ONLY")
            yield connection
        finally:
            connection.close()


def _connect_postgres(params: ExternalParams, address: str, connect_timeout: float) -> Any:
    try:
        connection = psycopg2.connect(
            host=params.host.strip().strip("[]"),
            hostaddr=address,
            port=params.port,
            dbname=params.database,
            user=params.user,
            password=params.password,
            connect_timeout=max(2, math.ceil(connect_timeout)),
            application_name="lumiere",
        )
    except psycopg2.OperationalError as error:
        raise BadRequest(_connection_failure(str(error), params)) from None
    connection.autocommit = False
    return connection


def _connect_mysql(params: ExternalParams, address: str, connect_timeout: float, timeout_s: float) -> Any:
    try:
        return pymysql.connect(
            host=address,
            port=params.port,
            user=params.user,
            password=params.password,
            database=params.database,
            connect_timeout=connect_timeout,
            read_timeout=timeout_s + 5,
            write_timeout=timeout_s + 5,
            charset="utf8mb4",
            autocommit=False,
        )
    except pymysql.err.MySQLError as error:
        code = error.args[0] if error.args else 0
        message = error.args[1] if len(error.args) > 1 else str(error)
        raise BadRequest(_connection_failure(f"{code} {message}", params)) from None


def _connection_failure(message: str, params: ExternalParams) -> str:
    """Why a connection failed, in words that name neither the host nor the password."""
    lowered = message.lower()
    if "password" in lowered or "access denied" in lowered or "authentication" in lowered or "1045" in lowered:
        return "The database refused the user name or password."
    if "does not exist" in lowered or "unknown database" in lowered or "1049" in lowered:
        if "role" in lowered:
            return f"The database has no user named {params.user!r}."
        return f"The database server has no database named {params.database!r}."
    if "timeout" in lowered or "timed out" in lowered:
        return (f"The database did not answer within {get_settings().connect_timeout_s:g} s; "
                "check the host, the port and any firewall.")
    if "refused" in lowered or "2003" in lowered or "could not connect" in lowered or "no route" in lowered:
        return "Nothing accepted the connection at that host and port; check both."
    return f"Could not connect to the database: {_scrub(message, params)}"


def _scrub(message: str, params: ExternalParams) -> str:
    text = " ".join(message.split())
    for secret in (params.password, params.host.strip().strip("[]")):
        if secret:
            text = text.replace(secret, "…")
    return text[:300]


def _database_error(error: Exception, params: ExternalParams, timeout_s: float) -> Exception:
    if isinstance(error, psycopg2.errors.QueryCanceled):
        return _timeout(timeout_s)
    if isinstance(error, pymysql.err.MySQLError) and error.args:
        code = error.args[0]
        if code in (_MARIADB_TIMEOUT, _MYSQL_TIMEOUT) or code in _MYSQL_LOST_CONNECTION:
            return _timeout(timeout_s)
        message = error.args[1] if len(error.args) > 1 else str(error)
        kind = QueryRejected if code in _MYSQL_STATEMENT_ERRORS else BadRequest
        return kind(f"The database reported: {_scrub(str(message), params)}")
    if isinstance(error, psycopg2.Error):
        diag = getattr(error, "diag", None)
        message = (diag.message_primary if diag is not None else None) or str(error)
        kind = QueryRejected if isinstance(error, psycopg2.ProgrammingError | psycopg2.DataError) else BadRequest
        return kind(f"The database reported: {_scrub(message, params)}")
    return BadRequest(f"The database reported: {_scrub(str(error), params)}")


def _timeout(timeout_s: float) -> Timeout:
    return Timeout(
        f"The query ran longer than {timeout_s:g} s and was stopped; add filters or aggregate to make it faster."
    )


# --------------------------------------------------------------------------------------------
# Running a query


def run_readonly(
    params: ExternalParams, sql: str, *, timeout_s: float, max_rows: int
) -> tuple[list[ResultColumn], list[list[Any]], bool]:
    """Run one (already guarded) query; at most `max_rows` rows come back, plus whether more exist."""
    try:
        with _readonly_session(params, timeout_s) as connection:
            if params.kind == "postgresql":
                columns, fetched = _fetch_postgres(connection, sql, max_rows + 1)
            else:
                columns, fetched = _fetch_mysql(connection, sql, max_rows + 1)
    except (psycopg2.Error, pymysql.err.MySQLError) as error:
        raise _database_error(error, params, timeout_s) from None
    rows = [[json_safe(value) for value in row] for row in fetched[:max_rows]]
    return columns, rows, len(fetched) > max_rows


@contextmanager
def stream_readonly(
    params: ExternalParams, sql: str, *, timeout_s: float, batch_rows: int
) -> Iterator[tuple[list[ResultColumn], Iterator[list[list[Any]]]]]:
    """Every row of one (already guarded) query, in batches of at most `batch_rows`, read from a
    server-side cursor (PostgreSQL) or an unbuffered result (MySQL), so only one batch is in memory.

    The session stays open while the caller reads the batches inside this context; leaving it early
    closes the connection, which stops the query on the server. `timeout_s` bounds the whole read.
    """
    deadline = time.monotonic() + timeout_s

    def converted(batches: Iterator[list[tuple[Any, ...]]]) -> Iterator[list[list[Any]]]:
        for batch in batches:
            yield [[json_safe(value) for value in row] for row in batch]
            if time.monotonic() > deadline:
                raise _timeout(timeout_s)

    try:
        with _readonly_session(params, timeout_s) as connection:
            if params.kind == "postgresql":
                columns, batches = _stream_postgres(connection, sql, batch_rows)
                yield columns, converted(batches)
                return
            cursor = connection.cursor(pymysql.cursors.SSCursor)
            try:
                columns, batches = _stream_mysql(cursor, sql, batch_rows)
                yield columns, converted(batches)
            finally:
                _let_go(cursor)
    except (psycopg2.Error, pymysql.err.MySQLError) as error:
        raise _database_error(error, params, timeout_s) from None


def _stream_postgres(
    connection: Any, sql: str, batch_rows: int
) -> tuple[list[ResultColumn], Iterator[list[tuple[Any, ...]]]]:
    """The query's portal (opened as in `_fetch_postgres`), read with FETCH of `batch_rows` at a time."""
    name = f"lumiere_{secrets.token_hex(6)}"
    opener = pg_sql.SQL("DECLARE result refcursor := {}; BEGIN OPEN result NO SCROLL FOR EXECUTE {}; END").format(
        pg_sql.Literal(name), pg_sql.Literal(sql)
    )
    with connection.cursor() as cursor:
        cursor.execute(pg_sql.SQL("DO {}").format(pg_sql.Literal(opener.as_string(connection))))
    cursor = connection.cursor(name=name)
    first = cursor.fetchmany(batch_rows)  # the description comes with the first FETCH
    columns = _postgres_columns(connection, cursor.description or [])

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        batch = first
        while batch:
            yield batch
            batch = cursor.fetchmany(batch_rows)

    return columns, batches()


def _stream_mysql(
    cursor: Any, sql: str, batch_rows: int
) -> tuple[list[ResultColumn], Iterator[list[tuple[Any, ...]]]]:
    """An unbuffered result (SSCursor): rows come off the socket as they are fetched."""
    cursor.execute(sql)
    columns = [_mysql_column(item) for item in cursor.description or []]

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        while batch := list(cursor.fetchmany(batch_rows)):
            yield batch

    return columns, batches()


def _let_go(cursor: Any) -> None:
    """Detach an unbuffered cursor before its connection closes. Closed (or collected) half-read,
    pymysql would read every remaining row first; this way closing the connection ends the query
    on the server instead."""
    result = getattr(cursor, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    cursor.connection = None


def _fetch_postgres(connection: Any, sql: str, limit: int) -> tuple[list[ResultColumn], list[tuple[Any, ...]]]:
    """At most `limit` rows of `sql`, opened as a cursor by PL/pgSQL's OPEN ... FOR EXECUTE.

    psycopg2 sends text as a simple query, where `a; COMMIT; b` runs three statements and the
    COMMIT ends the READ ONLY transaction. OPEN ... FOR EXECUTE has PostgreSQL itself refuse
    anything but one query (several statements, COMMIT, SELECT INTO, DDL), so the text can only
    read, inside this transaction.
    """
    name = f"lumiere_{secrets.token_hex(6)}"
    opener = pg_sql.SQL("DECLARE result refcursor := {}; BEGIN OPEN result NO SCROLL FOR EXECUTE {}; END").format(
        pg_sql.Literal(name), pg_sql.Literal(sql)
    )
    with connection.cursor() as cursor:
        cursor.execute(pg_sql.SQL("DO {}").format(pg_sql.Literal(opener.as_string(connection))))
    with connection.cursor(name=name) as cursor:
        fetched = cursor.fetchmany(limit)
        return _postgres_columns(connection, cursor.description or []), fetched


def _fetch_mysql(connection: Any, sql: str, limit: int) -> tuple[list[ResultColumn], list[tuple[Any, ...]]]:
    """At most `limit` rows of `sql`: the server itself stops after `limit` rows of any SELECT
    without a smaller LIMIT, so the buffered result is small and read completely before the
    cursor closes (no half-read stream is ever left to the garbage collector)."""
    with connection.cursor(pymysql.cursors.Cursor) as cursor:
        cursor.execute("SET SESSION sql_select_limit = %s", (limit,))
        cursor.execute(sql)
        fetched = list(cursor.fetchmany(limit))
        return [_mysql_column(item) for item in cursor.description or []], fetched


def _postgres_columns(connection: Any, description: Any) -> list[ResultColumn]:
    unknown = sorted({item.type_code for item in description if item.type_code not in _PG_TYPES})
    names: dict[int, str] = {}
    if unknown:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid::int, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)", (unknown,))
            names = dict(cursor.fetchall())
    columns = []
    for item in description:
        type_name, kind = _PG_TYPES.get(item.type_code, (names.get(item.type_code, "unknown"), "other"))
        columns.append(ResultColumn(name=item.name, type=type_name, kind=kind))  # type: ignore[arg-type]
    return columns


def _mysql_column(item: tuple[Any, ...]) -> ResultColumn:
    type_name, kind = _MYSQL_TYPES.get(item[1], ("UNKNOWN", "other"))
    return ResultColumn(name=str(item[0]), type=type_name, kind=kind)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Describing a schema


def describe(params: ExternalParams) -> list[dict[str, Any]]:
    """The tables and views of the source's schema: [{name, row_count, columns: [{name, type}]}]."""
    started = time.monotonic()
    try:
        with _readonly_session(params, DESCRIBE_TIMEOUT_S) as connection:
            if params.kind == "postgresql":
                tables = _describe_postgres(connection, params.effective_schema)
            else:
                tables = _describe_mysql(connection, params.effective_schema)
            for table in tables:
                if (table["row_count"] is None or table["row_count"] < EXACT_COUNT_BELOW) and (
                    time.monotonic() - started < DESCRIBE_TIMEOUT_S
                ):
                    table["row_count"] = _exact_count(connection, params, table["name"])
    except (psycopg2.Error, pymysql.err.MySQLError) as error:
        raise _database_error(error, params, DESCRIBE_TIMEOUT_S) from None
    return tables


def _describe_postgres(connection: Any, schema: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name,
                   CASE WHEN c.data_type IN ('USER-DEFINED', 'ARRAY') THEN c.udt_name ELSE c.data_type END
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = %s AND t.table_type IN ('BASE TABLE', 'VIEW')
            ORDER BY c.table_name, c.ordinal_position
            """,
            (schema,),
        )
        columns = cursor.fetchall()
        cursor.execute(
            """
            SELECT cl.relname, cl.reltuples::bigint
            FROM pg_class cl JOIN pg_namespace ns ON ns.oid = cl.relnamespace
            WHERE ns.nspname = %s AND cl.relkind IN ('r', 'p', 'v', 'm')
            """,
            (schema,),
        )
        estimates = {name: (rows if rows is not None and rows >= 0 else None) for name, rows in cursor.fetchall()}
    return _group_columns(columns, estimates)


def _describe_mysql(connection: Any, schema: str) -> list[dict[str, Any]]:
    with connection.cursor(pymysql.cursors.Cursor) as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, UPPER(c.column_type)
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = %s AND t.table_type IN ('BASE TABLE', 'VIEW')
            ORDER BY c.table_name, c.ordinal_position
            """,
            (schema,),
        )
        columns = cursor.fetchall()
        cursor.execute(
            "SELECT table_name, table_rows FROM information_schema.tables WHERE table_schema = %s", (schema,)
        )
        estimates = {name: (int(rows) if rows is not None else None) for name, rows in cursor.fetchall()}
    return _group_columns(columns, estimates)


def _group_columns(columns: list[tuple[str, str, str]], estimates: dict[str, int | None]) -> list[dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for table_name, column_name, type_name in columns:
        if table_name not in tables:
            if len(tables) >= MAX_TABLES:
                break
            tables[table_name] = {"name": table_name, "row_count": estimates.get(table_name), "columns": []}
        tables[table_name]["columns"].append({"name": column_name, "type": str(type_name)})
    return list(tables.values())


def _exact_count(connection: Any, params: ExternalParams, table: str) -> int | None:
    """COUNT(*) of a small table inside the read-only session; None if it fails or takes too long."""
    schema = params.effective_schema
    try:
        if params.kind == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SAVEPOINT lumiere_count")
                try:
                    cursor.execute(
                        pg_sql.SQL("SELECT count(*) FROM {}.{}").format(
                            pg_sql.Identifier(schema), pg_sql.Identifier(table)
                        )
                    )
                    return int(cursor.fetchone()[0])
                except psycopg2.Error:
                    cursor.execute("ROLLBACK TO SAVEPOINT lumiere_count")
                    return None
        with connection.cursor(pymysql.cursors.Cursor) as cursor:
            quoted = ".".join(exp.to_identifier(part, quoted=True).sql(dialect="mysql") for part in (schema, table))
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
            return int(cursor.fetchone()[0])
    except pymysql.err.MySQLError:
        return None
