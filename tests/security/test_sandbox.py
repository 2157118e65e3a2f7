"""The DuckDB sandbox on its own, with the guard bypassed: it still cannot write, reach files or loosen itself.

Every statement here goes straight to `warehouse.run_sandboxed`, the low-level runner behind
`execute`, as if the guard had let it through.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import plotly.data
import pytest

from lumiere.config import get_settings, reset_settings
from lumiere.core.errors import BadRequest, Timeout
from lumiere.services import warehouse
from lumiere.storage.datasets import dataset_path
from tests.helpers.datasets import frame_dataset


@pytest.fixture
def sandbox_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LUMIERE_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("LUMIERE_DUCKDB_THREADS", "1")
    reset_settings()
    yield data_dir
    reset_settings()


@pytest.fixture
def mine(sandbox_env) -> Path:
    return dataset_path(frame_dataset(plotly.data.tips(), "tips", user_id=1))


@pytest.fixture
def theirs(sandbox_env) -> Path:
    return dataset_path(frame_dataset(plotly.data.gapminder(), "gapminder", user_id=2))


def run(dataset: Path, sql: str):
    return warehouse.run_sandboxed(dataset, sql, max_rows=100, timeout_s=10)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_attached_dataset_is_readable(mine):
    columns, rows, more = run(mine, "SELECT COUNT(*) AS n FROM tips")
    assert rows == [[244]] and columns[0].name == "n" and not more


def test_lockdown_settings_are_in_force(mine):
    _, rows, _ = run(
        mine,
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), "
        "current_setting('autoload_known_extensions'), current_setting('autoinstall_known_extensions'), "
        "current_setting('threads'), current_setting('memory_limit')",
    )
    external, locked, autoload, autoinstall, threads, memory = rows[0]
    assert (external, locked, autoload, autoinstall, threads) == (False, True, False, False, 1)
    assert memory.startswith("286") and "MiB" in memory  # 300 MB


@pytest.mark.parametrize(
    "template",
    [
        "COPY tips TO '{canary}'",
        "COPY (SELECT * FROM tips) TO '{canary}' (FORMAT parquet)",
        "EXPORT DATABASE '{canary}'",
        "ATTACH '{canary}' AS stolen",
        "ATTACH '{canary}' AS stolen (TYPE sqlite)",
        "CREATE TABLE stolen AS SELECT * FROM read_csv('{canary}')",
        "SET temp_directory = '{canary}'",
        "INSTALL '{canary}'",
        "LOAD '{canary}'",
    ],
)
def test_nothing_is_written_outside_even_past_the_guard(mine, sandbox_env, template):
    canary = sandbox_env.parent / "canary_output"
    before = digest(mine)
    with pytest.raises(BadRequest):
        run(mine, template.format(canary=canary))
    assert not canary.exists()
    assert digest(mine) == before


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE tips_copy AS SELECT * FROM tips",
        "INSERT INTO tips SELECT * FROM tips",
        "DELETE FROM tips",
        "DROP TABLE tips",
        "ALTER TABLE tips ADD COLUMN x INT",
    ],
)
def test_the_dataset_cannot_be_changed(mine, sql):
    before = digest(mine)
    with pytest.raises(BadRequest):
        run(mine, sql)
    assert digest(mine) == before
    assert run(mine, "SELECT COUNT(*) FROM tips")[1] == [[244]]


@pytest.mark.parametrize("sql", ["CHECKPOINT", "FORCE CHECKPOINT", 'CHECKPOINT "dataset"', "VACUUM"])
def test_maintenance_statements_leave_the_file_as_it_was(mine, sql):
    before = digest(mine)
    with contextlib.suppress(BadRequest):  # refused or a no-op: either way the file must not change
        run(mine, sql)
    assert digest(mine) == before


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('https://example.com/x.parquet')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET memory_limit = '100GB'",
        "SET threads = 64",
        "RESET enable_external_access",
        "SET allow_unsigned_extensions = true",
    ],
)
def test_files_network_extensions_and_settings_are_out_of_reach(mine, sql):
    with pytest.raises(BadRequest) as caught:
        run(mine, sql)
    assert "/etc" not in caught.value.detail


def test_another_users_dataset_is_out_of_reach(mine, theirs):
    for sql in (
        f"SELECT * FROM read_blob('{theirs}')",
        f"ATTACH '{theirs}' AS theirs (READ_ONLY)",
        f"SELECT * FROM '{theirs}'",
    ):
        with pytest.raises(BadRequest) as caught:
            run(mine, sql)
        assert str(theirs.parent) not in caught.value.detail
    assert run(theirs, "SELECT COUNT(*) FROM gapminder")[1] == [[1704]]


def test_the_memory_limit_stops_a_hungry_query(mine):
    with pytest.raises(BadRequest) as caught:
        run(mine, "SELECT list(repeat(a.sex, 1000)) FROM tips a, tips b, tips c")
    assert "more memory than the 300MB allowed" in caught.value.detail


def test_the_timer_interrupts_a_runaway_query(mine):
    started = time.monotonic()
    with pytest.raises(Timeout):
        warehouse.run_sandboxed(
            mine, "SELECT COUNT(*) FROM tips a, tips b, tips c, tips d WHERE a.tip * b.tip > c.tip + d.tip",
            max_rows=10, timeout_s=0.5,
        )
    assert time.monotonic() - started < 5


def test_error_messages_carry_no_server_path(mine):
    with pytest.raises(BadRequest) as caught:
        run(mine, "SELECT * FROM read_csv('/etc/passwd')")
    assert "<path>" in caught.value.detail and "passwd" not in caught.value.detail
    with pytest.raises(BadRequest) as caught:
        run(mine, f"ATTACH '{mine}' AS again")
    assert str(get_settings().data_dir) not in caught.value.detail and mine.name not in caught.value.detail


def test_a_query_that_ignores_its_interrupt_does_not_hold_the_caller(mine, monkeypatch, caplog):
    """DuckDB checks for interrupts only between steps; one long step must not freeze the caller's thread."""
    monkeypatch.setenv("LUMIERE_QUERY_STOP_GRACE_S", "0.2")
    reset_settings()
    run(mine, "SELECT 1")  # the pool for these settings is up
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="lumiere.services.query_workers"), pytest.raises(Timeout):
        warehouse.run_sandboxed(
            mine, "SELECT jaro_winkler_similarity(lpad('a', 1000000, 'b'), lpad('a', 1000000, 'c'))",
            max_rows=1, timeout_s=0.3,
        )
    waited = time.monotonic() - started
    assert "ignored its interrupt" in caplog.text, "DuckDB stopped in time: this query no longer tests the kill"
    assert waited < 2
    assert list((get_settings().data_dir / "spill").iterdir()) == []
    assert run(mine, "SELECT COUNT(*) FROM tips")[1] == [[244]]


def test_the_progress_bar_stays_off_where_duckdb_turns_it_on(mine):
    """`python -c` counts as interactive for DuckDB, which then draws a progress bar on stdout."""
    script = (
        "import sys, duckdb\n"
        "from pathlib import Path\n"
        "from lumiere.services import warehouse\n"
        "setting = \"SELECT current_setting('enable_progress_bar')\"\n"
        "print(duckdb.connect().execute(setting).fetchall()[0][0])\n"
        "print(warehouse.run_sandboxed(Path(sys.argv[1]), setting, max_rows=1, timeout_s=30)[1][0][0])\n"
    )
    project = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(mine)], cwd=project, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
