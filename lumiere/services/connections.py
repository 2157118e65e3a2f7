"""Connecting a user's own PostgreSQL or MySQL/MariaDB database as a source.

The password is checked by a real connection, stored encrypted, and never returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from lumiere.core.enums import UsageMetric
from lumiere.core.errors import BadRequest
from lumiere.db import saved_id
from lumiere.models import Source, User
from lumiere.services import usage, warehouse
from lumiere.services.policy import Action, InSpace, authorize
from lumiere.services.sources import unique_source_name, validate_source_name
from lumiere.storage.crypto import encrypt_secret
from lumiere.storage.external import DEFAULT_PORTS, KINDS, ExternalParams, describe

KIND_ALIASES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
KIND_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL"}
MAX_NAME_CHARS = 128
MAX_PASSWORD_CHARS = 1000


def parse_connection(params: dict[str, Any]) -> ExternalParams:
    """Validated connection parameters; says which field to fix otherwise."""
    if not isinstance(params, dict):
        raise BadRequest("Send the connection as an object with kind, host, port, database, user and password.")
    kind = KIND_ALIASES.get(str(params.get("kind") or "").strip().lower())
    if kind not in KINDS:
        raise BadRequest("kind must be 'postgresql' or 'mysql'.", field="kind")
    host = _text(params.get("host"), "host", 253)
    port_value = params.get("port")
    if port_value in (None, ""):
        port = DEFAULT_PORTS[kind]
    else:
        try:
            port = int(str(port_value).strip())
        except ValueError:
            raise BadRequest("port must be a number between 1 and 65535.", field="port") from None
        if not 1 <= port <= 65535:
            raise BadRequest("port must be a number between 1 and 65535.", field="port")
    password = params.get("password")
    if password is None:
        password = ""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS or "\x00" in password:
        raise BadRequest(f"password must be text of at most {MAX_PASSWORD_CHARS} characters.", field="password")
    schema = params.get("schema")
    return ExternalParams(
        kind=kind,
        host=host,
        port=port,
        database=_text(params.get("database"), "database", MAX_NAME_CHARS),
        user=_text(params.get("user"), "user", MAX_NAME_CHARS),
        password=password,
        schema=_text(schema, "schema", MAX_NAME_CHARS) if schema not in (None, "") else None,
    )


def _text(value: object, field: str, max_chars: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Enter the {field}.", field=field)
    value = value.strip()
    if len(value) > max_chars or any(ord(char) < 32 for char in value):
        raise BadRequest(f"{field} must be at most {max_chars} characters, without control characters.", field=field)
    return value


@dataclass(frozen=True)
class ConnectionCheck:
    """A connection that worked, and the tables a source made from it would have:
    [{name, row_count, columns: [{name, type, kind}]}]. A failed check raises instead."""

    tables: list[dict[str, Any]]
    ok: bool = True


def test_connection(params: dict[str, Any]) -> ConnectionCheck:
    """Connect (short timeout, read-only) and list the tables and columns the source would have."""
    return ConnectionCheck(tables=_tables_with_kinds(describe(parse_connection(params))))


def create_connection(
    session: Session, user: User, params: dict[str, Any], *, name: str | None = None, workspace_id: int | None = None
) -> Source:
    """Check the connection and save it as a source (in a workspace: editors and admins only); the
    password is stored encrypted."""
    authorize(session, user, InSpace(Source, workspace_id), Action.CREATE)  # before reading what they sent
    connection = parse_connection(params)
    usage.check(session, user, UsageMetric.SOURCES)  # before connecting to the server
    display_name = validate_source_name(name) if name is not None else (
        f"{connection.database} ({KIND_LABELS[connection.kind]})"
    )
    tables = _tables_with_kinds(describe(connection))
    if not tables:
        raise BadRequest(
            f"The schema {connection.effective_schema!r} has no tables or views this user can read; "
            "pick another schema or grant access first.",
            field="schema",
        )
    usage.take(session, user, UsageMetric.SOURCES)
    display_name = unique_source_name(session, user, display_name, workspace_id)
    source = Source(
        user_id=saved_id(user),
        workspace_id=workspace_id,
        name=display_name,
        kind=connection.kind,
        row_count=sum(table["row_count"] or 0 for table in tables),
        column_count=sum(len(table["columns"]) for table in tables),
        size_bytes=0,
        tables_json=tables,
        details_json={
            "schema": connection.effective_schema,
            "table_count": len(tables),
            "notes": [
                (
                    f"{len(tables)} table(s) of schema {connection.effective_schema!r}, read through a read-only "
                    "connection; row counts are the database's estimates for large tables."
                ),
            ],
        },
        connection_json={
            "host": connection.host,
            "port": connection.port,
            "database": connection.database,
            "user": connection.user,
            "schema": connection.schema,
        },
        password_encrypted=encrypt_secret(connection.password),
    )
    session.add(source)
    session.flush()
    return source


def _tables_with_kinds(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **table,
            "columns": [{**column, "kind": warehouse.kind_of(column["type"])} for column in table["columns"]],
        }
        for table in tables
    ]
