"""A query worker opens the next request's DuckDB instance ahead of time (a blank): taken by a
request, it must end up exactly as locked down as one opened for that request, and a blank opened
with other limits must not be used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import plotly.data
import pytest

from lumiere.config import reset_settings
from lumiere.storage.datasets import dataset_path
from lumiere.storage.sandbox import SandboxConfig, open_blank, sandboxed_connection
from tests.helpers.datasets import frame_dataset


@pytest.fixture
def tips_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield dataset_path(frame_dataset(plotly.data.tips(), "tips", user_id=1))
    reset_settings()


def _config(root: Path, memory_limit: str = "200MB") -> SandboxConfig:
    return SandboxConfig(memory_limit=memory_limit, threads=1, spill_root=root / "spill", spill_prefix="test-")


def _setting(connection: duckdb.DuckDBPyConnection, name: str) -> str:
    row = connection.execute(f"SELECT current_setting('{name}')").fetchone()
    assert row is not None
    return str(row[0])


def test_a_blank_cannot_spill_and_has_no_dataset(tmp_path: Path) -> None:
    blank = open_blank(_config(tmp_path))
    try:
        assert _setting(blank.connection, "temp_directory") == ""
        assert blank.connection.execute("SELECT count(*) FROM duckdb_databases() WHERE NOT internal").fetchone() == (1,)
        assert not (tmp_path / "spill").exists()
    finally:
        blank.discard()


@pytest.mark.parametrize("ahead", [True, False], ids=["blank opened ahead", "opened for the request"])
def test_a_taken_blank_is_locked_down_like_a_fresh_instance(tips_file: Path, tmp_path: Path, ahead: bool) -> None:
    config = _config(tmp_path)
    blank = open_blank(config) if ahead else None
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\n1\n")
    with sandboxed_connection(tips_file, config, blank) as connection:
        assert connection.execute("SELECT count(*) FROM tips").fetchone() == (244,)
        assert _setting(connection, "enable_external_access") == "False"
        assert _setting(connection, "lock_configuration") == "True"
        assert _setting(connection, "memory_limit").startswith(("190", "200"))
        spill = Path(_setting(connection, "temp_directory"))
        assert spill.parent == tmp_path / "spill" and spill.name.startswith("test-") and spill.is_dir()
        for refused in (f"SELECT * FROM read_csv('{outside}')", "SET enable_external_access = true",
                        "SET temp_directory = '/tmp'", f"ATTACH '{outside}.db' AS other", "INSTALL httpfs"):
            with pytest.raises(duckdb.Error):
                connection.execute(refused)
        with pytest.raises(duckdb.Error):
            connection.execute("CREATE TABLE tips_copy AS SELECT * FROM tips")
    assert not spill.exists()


def test_a_blank_opened_with_other_limits_is_not_used(tips_file: Path, tmp_path: Path) -> None:
    other = open_blank(_config(tmp_path, memory_limit="100MB"))
    with sandboxed_connection(tips_file, _config(tmp_path, memory_limit="300MB"), other) as connection:
        assert _setting(connection, "memory_limit").startswith(("286", "300"))
        assert connection is not other.connection
    with pytest.raises(duckdb.Error):  # closed when it was turned down
        other.connection.execute("SELECT 1")
