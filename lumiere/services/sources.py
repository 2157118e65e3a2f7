"""A user's data sources: uploaded files (one immutable DuckDB file each) and external databases.

Pages and REST routes call these functions; reading a source's rows always goes through the
guarded, sandboxed warehouse. Who may see or change a source is the policy's answer (its owner,
or the members of its workspace); anyone else is told it does not exist.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb
import plotly.data
from sqlalchemy import event, update
from sqlglot import exp
from sqlmodel import Session, col, select

from lumiere.config import get_settings
from lumiere.core.engine import ColumnInfo, TableInfo
from lumiere.core.enums import UsageMetric
from lumiere.core.errors import Conflict, Invalid, NotFound, StorageFull, Timeout
from lumiere.core.resultset import ResultColumn
from lumiere.db import saved_id
from lumiere.models import Source, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.nlq.suggestions import suggest_questions
from lumiere.services import result_cache, usage, warehouse
from lumiere.services.ingest import (
    StagedUpload,
    detect_encoding,
    ingest_csv_file,
    receive_upload,
    rename_table,
    table_name_from_filename,
)
from lumiere.services.policy import Action, InSpace, authorize, own_filter, visible_filter
from lumiere.storage.datasets import (
    is_disk_full,
    new_storage_key,
    new_temp_path,
    place_dataset,
    remove_dataset_file,
)

MAX_SOURCE_NAME_CHARS = 200
MAX_PREVIEW_ROWS = 1000
SAMPLE_DATASET_NAME = "gapminder"
# External databases: how much of a schema the on-demand profile looks at, and for how long.
PROFILE_MAX_TABLES = 30
PROFILE_MAX_TOP_COLUMNS = 20
PROFILE_QUERY_TIMEOUT_S = 15.0
TOP_VALUES = 5


# --------------------------------------------------------------------------------------------
# Reading


def list_sources(session: Session, user: User, workspace_id: int | None = None) -> list[Source]:
    """The sources of one space: the user's personal ones, or a workspace's (members only)."""
    statement = (
        select(Source)
        .where(visible_filter(session, Source, user, workspace_id))
        .order_by(col(Source.created_at).desc(), col(Source.id).desc())
    )
    return list(session.exec(statement))


def get_source(session: Session, user: User, source_id: int, action: Action = Action.VIEW) -> Source:
    """A source the user may `action`; a missing id and one they may not know of look the same (404)."""
    source = session.get(Source, source_id) if isinstance(source_id, int) and not isinstance(source_id, bool) else None
    missing = f"No data source with id {source_id}."
    if source is None:
        raise NotFound(missing)
    authorize(session, user, source, action, missing=missing)
    return source


def public_source(source: Source, *, detail: bool = False, created_by: str | None = None) -> dict[str, Any]:
    """The one shape in which a source leaves the server: never with a password or a file path."""
    body: dict[str, Any] = {
        "id": source.id,
        "workspace_id": source.workspace_id,
        "created_by": created_by,
        "name": source.name,
        "kind": source.kind,
        "tables": [
            {
                "name": table["name"],
                "row_count": table.get("row_count"),
                "columns": [
                    {"name": column["name"], "type": column.get("type", ""), "kind": column.get("kind", "other")}
                    for column in table.get("columns", [])
                ],
            }
            for table in source.tables_json or []
        ],
        "row_count": source.row_count,
        "column_count": source.column_count,
        "size_bytes": source.size_bytes,
        "file_bytes": _file_bytes(source),
        "created_at": iso_utc(source.created_at),
    }
    if source.kind == "csv":
        body["table_name"] = source.table_name
    else:
        connection = source.connection_json or {}
        body["connection"] = {key: connection.get(key) for key in ("host", "port", "database", "user", "schema")}
    if detail:
        body["details"] = dict(source.details_json or {})
        body["profile"] = source.profile_json
        body["suggested_questions"] = suggest_questions(table_infos(source))
    return body


def _file_bytes(source: Source) -> int | None:
    """The size of the file the user uploaded: what the sources list shows. `size_bytes` is the
    stored dataset on disk (what the storage quota counts), which DuckDB rounds up to whole blocks,
    so every small file would read "524.0 KB"."""
    if source.kind != "csv":
        return None
    value = (source.details_json or {}).get("file_bytes")
    return value if isinstance(value, int) else source.size_bytes


def table_infos(source: Source) -> list[TableInfo]:
    """The schema as the question engines see it, enriched with the profile where there is one."""
    profiled = {table["name"]: table for table in (source.profile_json or {}).get("tables", [])}
    infos = []
    for table in source.tables_json or []:
        profile_columns = {column["name"]: column for column in profiled.get(table["name"], {}).get("columns", [])}
        columns = []
        for column in table.get("columns", []):
            stats = profile_columns.get(column["name"], {})
            type_name = column.get("type", "")
            columns.append(
                ColumnInfo(
                    name=column["name"],
                    type=type_name,
                    kind=column.get("kind") or warehouse.kind_of(type_name),
                    samples=list(stats.get("samples") or [])[:5],
                    distinct_count=stats.get("distinct_count"),
                    null_count=stats.get("null_count"),
                    min=stats.get("min"),
                    max=stats.get("max"),
                )
            )
        infos.append(TableInfo(name=table["name"], row_count=int(table.get("row_count") or 0), columns=columns))
    return infos


@dataclass(frozen=True)
class PreviewPage:
    """One page of a table's rows; `total` counts the whole table."""

    table: str
    columns: list[ResultColumn]
    rows: list[list[Any]]
    total: int
    limit: int
    offset: int


def preview(
    session: Session, user: User, source_id: int, *, limit: int = 100, offset: int = 0, table: str | None = None
) -> PreviewPage:
    """One page of a table's rows, read through the guarded warehouse like any query."""
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PREVIEW_ROWS:
        raise Invalid(f"limit must be between 1 and {MAX_PREVIEW_ROWS}.", field="limit")
    if not isinstance(offset, int) or offset < 0:
        raise Invalid("offset must be 0 or more.", field="offset")
    source = get_source(session, user, source_id)
    entry = _table_entry(source, table)
    dialect = warehouse.dialect_of(source)
    table_expr = exp.Table(this=exp.to_identifier(entry["name"], quoted=True))
    page_sql = exp.select(exp.Star()).from_(table_expr).limit(limit).offset(offset).sql(dialect=dialect)
    result = warehouse.execute(source, page_sql, max_rows=limit)
    if source.kind == "csv":
        total = int(entry.get("row_count") or 0)
    else:
        count_sql = exp.select(exp.func("COUNT", exp.Star())).from_(table_expr.copy()).sql(dialect=dialect)
        total = int(warehouse.execute(source, count_sql, max_rows=1).rows[0][0])
    return PreviewPage(
        table=entry["name"], columns=result.columns, rows=result.rows, total=total, limit=limit, offset=offset
    )


def _table_entry(source: Source, table: str | None) -> dict[str, Any]:
    tables = source.tables_json or []
    if not tables:
        raise NotFound("This source has no tables to show.")
    if table is None:
        return tables[0]
    for entry in tables:
        if entry["name"] == table:
            return entry
    raise NotFound(f"This source has no table named {table!r}.")


def column_profile(session: Session, user: User, source_id: int) -> dict[str, Any]:
    """Per column: nulls, distinct values, ranges and means, top values, a few samples.

    Uploads were profiled at ingest; an external database is profiled on first request (through
    the guarded warehouse) and the result is kept with the source.
    """
    source = get_source(session, user, source_id)
    if source.profile_json is None and source.kind != "csv":
        source.profile_json = _profile_external(source)
        session.add(source)
        session.flush()
    profile = dict(source.profile_json or {"tables": []})
    if source.kind == "csv" and profile.get("tables"):
        profile["columns"] = profile["tables"][0]["columns"]
    return profile


def _profile_external(source: Source) -> dict[str, Any]:
    tables = []
    for table in (source.tables_json or [])[:PROFILE_MAX_TABLES]:
        try:
            tables.append(_profile_external_table(source, table))
        except Timeout:
            tables.append({"name": table["name"], "row_count": table.get("row_count"), "columns": [],
                           "error": "Profiling this table took too long."})
    return {"tables": tables, "approximate": False, "computed_at": iso_utc(utcnow())}


def _profile_external_table(source: Source, table: dict[str, Any]) -> dict[str, Any]:
    dialect = warehouse.dialect_of(source)
    table_expr = exp.Table(this=exp.to_identifier(table["name"], quoted=True))
    columns = table.get("columns", [])
    aggregates: list[exp.Expr] = [exp.func("COUNT", exp.Star())]
    layout: list[tuple[int, str]] = []
    for column in columns:
        kind = column.get("kind") or warehouse.kind_of(column.get("type", ""))
        ref = exp.column(exp.to_identifier(column["name"], quoted=True))
        aggregates.append(exp.Count(this=ref.copy()))
        aggregates.append(exp.Count(this=exp.Distinct(expressions=[ref.copy()])))
        if kind in ("integer", "number", "date", "datetime"):
            aggregates += [exp.Min(this=ref.copy()), exp.Max(this=ref.copy())]
        if kind in ("integer", "number"):
            aggregates.append(exp.Avg(this=ref.copy()))
        layout.append((len(aggregates), kind))
    sql = exp.select(*aggregates).from_(table_expr).sql(dialect=dialect)
    stats = warehouse.execute(source, sql, max_rows=1, timeout_s=PROFILE_QUERY_TIMEOUT_S).rows[0]
    row_count = int(stats[0] or 0)
    profiled: list[dict[str, Any]] = []
    position = 1
    top_columns = 0
    for column, (end, kind) in zip(columns, layout, strict=True):
        values = stats[position:end]
        position = end
        entry: dict[str, Any] = {
            "name": column["name"],
            "type": column.get("type", ""),
            "kind": kind,
            "null_count": row_count - int(values[0] or 0),
            "distinct_count": int(values[1] or 0),
        }
        if kind in ("integer", "number", "date", "datetime"):
            entry["min"], entry["max"] = values[2], values[3]
        if kind in ("integer", "number"):
            entry["mean"] = values[4]
        if kind in ("text", "boolean") and top_columns < PROFILE_MAX_TOP_COLUMNS and entry["distinct_count"]:
            top_columns += 1
            entry["top_values"] = _external_top_values(source, table_expr, column["name"], dialect)
            entry["samples"] = [item["value"] for item in entry["top_values"]]
        profiled.append(entry)
    return {"name": table["name"], "row_count": row_count, "columns": profiled}


def _external_top_values(source: Source, table_expr: exp.Table, column: str, dialect: str) -> list[dict[str, Any]]:
    ref = exp.column(exp.to_identifier(column, quoted=True))
    count = exp.func("COUNT", exp.Star()).as_("n")
    sql = (
        exp.select(ref.copy(), count)
        .from_(table_expr.copy())
        .where(exp.Not(this=exp.Is(this=ref.copy(), expression=exp.Null())))
        .group_by(ref.copy())
        .order_by(exp.Ordered(this=exp.column("n"), desc=True), ref.copy())
        .limit(TOP_VALUES)
        .sql(dialect=dialect)
    )
    rows = warehouse.execute(source, sql, max_rows=TOP_VALUES, timeout_s=PROFILE_QUERY_TIMEOUT_S).rows
    return [{"value": value, "count": int(n)} for value, n in rows]


# --------------------------------------------------------------------------------------------
# Uploads


def validate_source_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Give the source a name.", field="name")
    cleaned = " ".join(name.split())
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in cleaned):
        raise Invalid("The name may not contain control characters.", field="name")
    if len(cleaned) > MAX_SOURCE_NAME_CHARS:
        raise Invalid(f"A source name can be at most {MAX_SOURCE_NAME_CHARS} characters.", field="name")
    return cleaned


async def ingest_upload(
    session: Session,
    user: User,
    *,
    filename: str,
    chunks: AsyncIterator[bytes],
    name: str | None = None,
    workspace_id: int | None = None,
) -> Source:
    """Stream an upload to the staging folder, ingest it off the event loop, register the source.

    Used by the REST route and the upload page alike. On any refusal nothing stays behind: no
    staged bytes, no dataset file, no source row.
    """
    display_name = validate_source_name(name) if name is not None else None
    await asyncio.to_thread(check_room_for_upload, session, user, workspace_id)  # before streaming what cannot be kept
    staged = await receive_upload(filename, chunks)
    try:
        return await asyncio.to_thread(
            register_upload, session, user, staged, name=display_name, workspace_id=workspace_id
        )
    finally:
        staged.discard()


def register_upload(
    session: Session, user: User, staged: StagedUpload, *, name: str | None = None, workspace_id: int | None = None
) -> Source:
    """Ingest a staged upload into a new dataset file and record it as the user's source (in a
    workspace when `workspace_id` is given: editors and admins only)."""
    display_name = validate_source_name(name if name is not None else staged.filename)
    check_room_for_upload(session, user, workspace_id)
    base_table = table_name_from_filename(staged.filename)
    work = new_temp_path(".duckdb")
    try:
        result = ingest_csv_file(
            staged.path,
            dest=work,
            table_name=unique_table_name(session, user, base_table),
            settings=get_settings(),
            encoding=staged.encoding,
            original_name=staged.filename,
        )
        _lock_users_sources(session, user)
        usage.take(session, user, UsageMetric.SOURCES)
        usage.take(session, user, UsageMetric.STORAGE, result.size_bytes)
        table_name = unique_table_name(session, user, base_table)
        if table_name != result.table_name:  # another upload of the same name won the race
            rename_table(work, result.table_name, table_name)
        display_name = unique_source_name(session, user, display_name, workspace_id)
        storage_key = new_storage_key(saved_id(user))
        place_dataset(work, storage_key)
        try:
            source = Source(
                user_id=saved_id(user),
                workspace_id=workspace_id,
                name=display_name,
                kind="csv",
                table_name=table_name,
                storage_key=storage_key,
                row_count=result.row_count,
                column_count=len(result.columns),
                size_bytes=result.size_bytes,
                tables_json=[{"name": table_name, "row_count": result.row_count, "columns": result.columns}],
                profile_json={
                    "tables": [
                        {"name": table_name, "row_count": result.row_count, "columns": result.profile["columns"]}
                    ],
                    "approximate": result.profile["approximate"],
                    "computed_at": iso_utc(utcnow()),
                },
                details_json={**result.details, "filename": staged.filename},
            )
            session.add(source)
            session.flush()
        except BaseException:
            remove_dataset_file(storage_key)
            raise
        _remove_file_unless_committed(session, storage_key)
        return source
    except (OSError, duckdb.Error) as error:
        if is_disk_full(error):
            raise StorageFull from None
        raise
    finally:
        work.unlink(missing_ok=True)


def check_room_for_upload(session: Session, user: User, workspace_id: int | None = None) -> None:
    """403 for a workspace the user may not add to, 402 before any work when the plan has no source or
    no storage left (the final count is taken with the dataset's real size, after ingest)."""
    authorize(session, user, InSpace(Source, workspace_id), Action.CREATE)
    usage.check(session, user, UsageMetric.SOURCES)
    usage.check(session, user, UsageMetric.STORAGE, 1)


def load_sample_dataset(session: Session, user: User, workspace_id: int | None = None) -> Source:
    """The gapminder table that ships with plotly, loaded exactly the way an uploaded CSV is."""
    path = new_temp_path(".csv")
    try:
        plotly.data.gapminder().to_csv(path, index=False)
        staged = StagedUpload(
            path=path,
            filename=f"{SAMPLE_DATASET_NAME}.csv",
            size_bytes=path.stat().st_size,
            encoding=detect_encoding(path),
        )
        return register_upload(session, user, staged, name=SAMPLE_DATASET_NAME, workspace_id=workspace_id)
    finally:
        path.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _reserved_words() -> frozenset[str]:
    with duckdb.connect(":memory:") as con:
        rows = con.execute("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()
    return frozenset(word.lower() for (word,) in rows)


def unique_source_name(
    session: Session, user: User, name: str, workspace_id: int | None, *, exclude_id: int | None = None
) -> str:
    """`name`, or "name (2)", "name (3)" ...: unique (ignoring case) among the sources of the space it
    goes to, so two "sales" never sit side by side in a list, a picker or the command palette."""
    query = select(Source.name).where(visible_filter(session, Source, user, workspace_id))
    if exclude_id is not None:
        query = query.where(col(Source.id) != exclude_id)
    taken = {existing.casefold() for existing in session.exec(query)}
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def unique_table_name(session: Session, user: User, base: str) -> str:
    """`base`, or base_2, base_3 ... : unique among the user's uploaded tables, never a reserved word."""
    if base.lower() in _reserved_words():
        base = f"{base}_data"
    taken = {
        name.lower()
        for name in session.exec(
            select(Source.table_name).where(own_filter(Source, user), col(Source.table_name).is_not(None))
        )
        if name is not None
    }
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}_{number}"
    return candidate


def _lock_users_sources(session: Session, user: User) -> None:
    """Serialise the last step of concurrent uploads by one user, so two never pick the same
    table name: a no-op UPDATE of the user's row takes its row lock (PostgreSQL) or the write
    lock (SQLite) until the transaction ends."""
    session.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(token_version=User.token_version)
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------------------------------------
# Renaming and moving


_UNSET: Any = object()


def _refuse_duplicate_name(session: Session, user: User, source: Source) -> None:
    """A rename or a move onto a name the space already has is a 409 that says what to do."""
    if unique_source_name(session, user, source.name, source.workspace_id, exclude_id=source.id) != source.name:
        where = "this workspace" if source.workspace_id is not None else "your sources"
        raise Conflict(f"A source named {source.name!r} is already in {where}; pick another name.", field="name")


def update_source(
    session: Session, user: User, source_id: int, *, name: object = _UNSET, workspace_id: object = _UNSET
) -> Source:
    """Renames a source and/or moves it: into a workspace (the user must be allowed to change the source
    and be an editor or admin there), or back to its owner's personal space (`None`: its owner only)."""
    source = get_source(session, user, source_id, Action.CHANGE)
    if name is not _UNSET:
        source.name = validate_source_name(name)
    if workspace_id is not _UNSET and workspace_id != source.workspace_id:
        if workspace_id is None:
            authorize(session, user, source, Action.TAKE_BACK)
        elif not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
            raise Invalid("workspace_id must be the id of one of your workspaces, or null.", field="workspace_id")
        else:
            authorize(session, user, InSpace(Source, workspace_id), Action.CREATE)
        source.workspace_id = workspace_id
    if name is not _UNSET or workspace_id is not _UNSET:
        _refuse_duplicate_name(session, user, source)
    session.add(source)
    session.flush()
    return source


# --------------------------------------------------------------------------------------------
# Deleting


def delete_source(session: Session, user: User, source_id: int) -> None:
    """Remove the source's metadata and, once that is committed, its dataset file. Its queries
    stay in the history (they keep the source's id and name). The plan units go back to its owner."""
    source = get_source(session, user, source_id, Action.DELETE)
    storage_key = source.storage_key if source.kind == "csv" else None
    usage.give_back(session, source.user_id, UsageMetric.SOURCES)
    usage.give_back(session, source.user_id, UsageMetric.STORAGE, source.size_bytes)
    session.delete(source)
    session.flush()
    result_cache.forget_source(source_id)
    if storage_key:
        remove_file_once_committed(session, storage_key)


# --------------------------------------------------------------------------------------------
# Files follow the transaction: a new dataset file disappears if its row is rolled back; a
# deleted source's file goes only once the deletion is committed.

_PENDING_FILES = "lumiere.pending_dataset_files"


def _pending(session: Session) -> dict[str, list[str]]:
    pending = session.info.get(_PENDING_FILES)
    if pending is None:
        pending = {"on_commit": [], "on_rollback": []}
        session.info[_PENDING_FILES] = pending
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
    return pending


def _remove_file_unless_committed(session: Session, storage_key: str) -> None:
    _pending(session)["on_rollback"].append(storage_key)


def remove_file_once_committed(session: Session, storage_key: str) -> None:
    """Delete the dataset file when `session` commits (and keep it if the deletion rolls back)."""
    _pending(session)["on_commit"].append(storage_key)


def _after_commit(session: Session) -> None:
    pending = session.info.get(_PENDING_FILES)
    if pending:
        for storage_key in pending["on_commit"]:
            remove_dataset_file(storage_key)
        pending["on_commit"].clear()
        pending["on_rollback"].clear()


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(_PENDING_FILES)
    if pending and previous_transaction.parent is None:
        for storage_key in pending["on_rollback"]:
            remove_dataset_file(storage_key)
        pending["on_rollback"].clear()
        pending["on_commit"].clear()
