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


@dataclass(frozen=True)
class BlankSandbox:
    """A DuckDB instance opened with a sandbox's memory and thread limits, given nothing else yet: no
    dataset, no spill folder (it cannot spill), no SQL.

    Opening an instance is most of a small query's cost (~10 ms of DuckDB's start-up, against ~1 ms
    to attach and lock), so a query worker opens the next one while it waits for work. It is set up
    and locked down exactly as a fresh one is when a request takes it.
    """

    config: SandboxConfig
    connection: duckdb.DuckDBPyConnection

    def discard(self) -> None:
        self.connection.close()


def open_blank(config: SandboxConfig) -> BlankSandbox:
    return BlankSandbox(
        config,
        duckdb.connect(
            ":memory:",
            config={
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
                "memory_limit": config.memory_limit,
                "threads": config.threads,
                "temp_directory": "",  # no spilling until the request's own folder is set
                # EXPLAIN also gives the unoptimized plan, which still names tables the optimizer answers
                # from statistics.
                "explain_output": "all",
            },
        ),
    )


@contextmanager
def sandboxed_connection(
    dataset_file: Path, config: SandboxConfig, blank: BlankSandbox | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The dataset attached read-only as `dataset`; no file or network access, no extensions, settings locked.

    Uses `blank` when it was opened with the same limits (it is used up either way), else a new
    instance. Raises duckdb.Error when the file cannot be attached.
    """
    if blank is not None and blank.config != config:
        blank.discard()
        blank = None
    config.spill_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    spill_dir = Path(tempfile.mkdtemp(prefix=config.spill_prefix, dir=config.spill_root))
    try:
        sandbox = blank or open_blank(config)
        try:
            connection = sandbox.connection
            connection.execute(f"SET temp_directory = {_literal(str(spill_dir))}")
            connection.execute(f"SET max_temp_directory_size = {_literal(_SPILL_LIMIT)}")
            connection.execute(f'ATTACH {_literal(str(dataset_file))} AS "{DATASET_ALIAS}" (READ_ONLY)')
            connection.execute("SET enable_external_access = false")
            connection.execute(f'USE "{DATASET_ALIAS}"')
            # On by default in interactive Python, where it draws on stdout (the worker's protocol pipe).
            connection.execute("SET enable_progress_bar = false")
            connection.execute("SET lock_configuration = true")
            yield connection
        finally:
            sandbox.discard()
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
