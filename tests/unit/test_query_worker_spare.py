"""After answering, a query worker opens the next request's DuckDB instance while it waits, and the
next request takes it instead of opening its own (most of a small query's time was DuckDB's start-up).

The runner sets CPU limits on its own process, so it runs here in a child process, as in production."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import plotly.data
import pytest

from lumiere.config import reset_settings
from lumiere.storage.datasets import dataset_path
from tests.helpers.datasets import frame_dataset

RUNNER_SCRIPT = """
import io, json, sys
import duckdb
from lumiere.storage.query_worker import Runner
from lumiere.storage.worker_protocol import HEADER

request = json.loads(sys.argv[1])
runner = Runner(io.BytesIO())
first = json.loads(runner._answer(request)[HEADER.size:])
spare_before_any_request = runner._spare
runner._open_spare()
spare = runner._spare
second = json.loads(runner._answer({**request, "id": 2})[HEADER.size:])
try:
    spare.connection.execute("SELECT 1")
    spare_closed = False
except duckdb.Error:
    spare_closed = True
other = {**request, "id": 3, "memory_limit": "150MB"}
runner._open_spare()
third = json.loads(runner._answer(other)[HEADER.size:])
print(json.dumps({
    "rows": [first["rows"], second["rows"], third["rows"]],
    "spare_before_any_request": spare_before_any_request is not None,
    "spare_opened": spare is not None,
    "spare_taken": runner._spare is None,
    "spare_closed_after_use": spare_closed,
}))
"""


@pytest.fixture
def tips_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield dataset_path(frame_dataset(plotly.data.tips(), "tips", user_id=1))
    reset_settings()


def test_the_next_request_takes_the_instance_opened_while_idle(tips_file: Path, data_dir: Path) -> None:
    request = {
        "id": 1, "op": "query", "dataset": str(tips_file),
        "sql": "SELECT day, count(*) AS n FROM tips GROUP BY day ORDER BY day",
        "max_rows": 100, "tables": ["tips"], "max_bytes": 1_000_000, "memory_limit": "200MB", "threads": 1,
        "cpu_s": 30, "spill_root": str(data_dir / "spill"), "spill_prefix": "spare-test-",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUNNER_SCRIPT, json.dumps(request)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2], check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    expected = [["Fri", 19], ["Sat", 87], ["Sun", 76], ["Thur", 62]]
    assert seen["rows"] == [expected, expected, expected]  # the third with other limits: a blank of its own
    assert not seen["spare_before_any_request"]  # the limits are only known from a request
    assert seen["spare_opened"] and seen["spare_taken"] and seen["spare_closed_after_use"]
    assert list((data_dir / "spill").iterdir()) == []  # a blank has no spill folder until a request takes it
