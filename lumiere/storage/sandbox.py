"""A locked-down in-memory DuckDB that can read one dataset file (read-only) and nothing else."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

DATASET_ALIAS = "dataset"
_SPILL_LIMIT = "8GB"  # disk DuckDB may use to spill big sorts/joins, per query


@dataclass(frozen=True)
class SandboxConfig:
    memory_limit: str
    threads: int
    spill_root: Path  # each connection spills into its own folder under it, removed on close
    spill_prefix: str = ""  # starts the folder's name, so whoever started this process can find it


@contextmanager
def sandboxed_connection(dataset_file: Path, config: SandboxConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """The dataset attached read-only as `dataset`; no file or network access, no extensions, settings locked.

    Raises duckdb.Error when the file cannot be attached.
    """
    config.spill_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    spill_dir = Path(tempfile.mkdtemp(prefix=config.spill_prefix, dir=config.spill_root))
    try:
        connection = duckdb.connect(
            ":memory:",
            config={
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
                "memory_limit": config.memory_limit,
                "threads": config.threads,
                "temp_directory": str(spill_dir),
                "max_temp_directory_size": _SPILL_LIMIT,
                # EXPLAIN also gives the unoptimized plan, which still names tables the optimizer answers
                # from statistics.
                "explain_output": "all",
            },
        )
        try:
            path_literal = "'" + str(dataset_file).replace("'", "''") + "'"
            connection.execute(f'ATTACH {path_literal} AS "{DATASET_ALIAS}" (READ_ONLY)')
            connection.execute("SET enable_external_access = false")
            connection.execute(f'USE "{DATASET_ALIAS}"')
            # On by default in interactive Python, where it draws on stdout (the worker's protocol pipe).
            connection.execute("SET enable_progress_bar = false")
            connection.execute("SET lock_configuration = true")
            yield connection
        finally:
            connection.close()
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
