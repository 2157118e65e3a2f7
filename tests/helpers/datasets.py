"""Dataset files laid out as uploads are, built straight in DuckDB (no ingest), for warehouse tests."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import duckdb
import pandas as pd
from sqlglot import exp

from lumiere.models import Source
from lumiere.storage.datasets import dataset_path
from tests.helpers.rows import present


def make_dataset(build: Callable[[duckdb.DuckDBPyConnection], None], table: str, user_id: int = 1) -> Source:
    """A dataset file laid out as uploads are (datasets/<user>/<random>.duckdb), and its unsaved Source."""
    source = Source(user_id=user_id, name=table, kind="csv", table_name=table,
                    storage_key=f"{user_id}/{secrets.token_hex(16)}.duckdb")
    path = dataset_path(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        build(connection)
        quoted = exp.to_identifier(table, quoted=True).sql("duckdb")
        described = connection.execute(f"DESCRIBE {quoted}").fetchall()
        row_count = present(connection.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone())[0]
    finally:
        connection.close()
    source.tables_json = [{"name": table, "row_count": row_count,
                           "columns": [{"name": name, "type": kind} for name, kind, *_ in described]}]
    source.row_count = row_count
    return source


def frame_dataset(frame: pd.DataFrame, table: str, user_id: int = 1) -> Source:
    def build(connection: duckdb.DuckDBPyConnection) -> None:
        connection.register("frame", frame)
        connection.execute(f"CREATE TABLE {exp.to_identifier(table, quoted=True).sql('duckdb')} AS SELECT * FROM frame")

    return make_dataset(build, table, user_id)
