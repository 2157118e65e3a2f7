"""The query workers' own limits, with the SQL guard bypassed: each attack goes straight to the executor.

The attacks are the ones a probe of the app found (issue 9), sized down with a small memory limit so
each takes seconds. While an attack runs, another user's query on another thread must still succeed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import plotly.data
import pytest

from lumiere.config import PROJECT_ROOT, get_settings, reset_settings
from lumiere.core.errors import BadRequest, Timeout
from lumiere.services import query_workers, warehouse
from lumiere.services.sqlguard import SqlRefused
from lumiere.storage.datasets import dataset_path
from tests.helpers.datasets import frame_dataset
from tests.helpers.rows import present

LPAD_ATTACK = "SELECT max(length(lpad(country, 750000, 'x') || 'y')) FROM gapminder"
# The issue's attack used 3,000,000; under this module's small memory limit that dies on memory
# first (see the last test), so the CPU tests use a length that fits and runs for about 20 s.
JARO_ATTACK = "SELECT jaro_winkler_similarity(lpad('a', 1000000, 'b'), lpad('a', 1000000, 'c'))"
ISSUE_JARO_ATTACK = "SELECT jaro_winkler_similarity(lpad('a', 3000000, 'b'), lpad('a', 3000000, 'c'))"


@pytest.fixture
def limits(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    settings = {
        "DATA_DIR": str(data_dir), "DUCKDB_MEMORY_LIMIT": "100MB", "QUERY_WORKER_OVERHEAD_MB": "160",
        "DUCKDB_THREADS": "1", "QUERY_WORKERS": "2", "QUERY_STOP_GRACE_S": "0.3",
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"LUMIERE_{name}", value)
    reset_settings()
    yield monkeypatch
    reset_settings()


@pytest.fixture
def gapminder(limits) -> Path:
    return dataset_path(frame_dataset(plotly.data.gapminder(), "gapminder"))


def run(dataset: Path, sql: str, timeout_s: float = 20, max_rows: int = 100):
    return warehouse.run_sandboxed(dataset, sql, max_rows=max_rows, timeout_s=timeout_s, tables=["gapminder"])


class Bystander:
    """Another user's small queries on another thread, for as long as an attack runs."""

    def __init__(self, dataset: Path) -> None:
        self.answers: list[object] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(dataset,))

    def __enter__(self) -> Bystander:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _loop(self, dataset: Path) -> None:
        while not self._stop.is_set():
            try:
                self.answers.append(run(dataset, "SELECT count(*) FROM gapminder")[1])
            except Exception as error:  # recorded and asserted on
                self.answers.append(error)
            time.sleep(0.05)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def test_the_lpad_attack_hits_the_memory_limit_not_the_app(gapminder):
    run(gapminder, "SELECT 1")
    peak_before = peak_rss_mb()
    started = time.monotonic()
    with Bystander(gapminder) as bystander, pytest.raises(BadRequest) as caught:
        run(gapminder, LPAD_ATTACK)
    assert "more memory than the 100MB allowed" in caught.value.detail
    assert time.monotonic() - started < 20
    assert peak_rss_mb() - peak_before < 100
    assert bystander.answers and all(answer == [[1704]] for answer in bystander.answers), bystander.answers[:3]
    assert len(query_workers.current_pool().pids()) == 2
    assert run(gapminder, "SELECT count(DISTINCT country) FROM gapminder")[1] == [[142]]


def test_the_jaro_winkler_attack_is_a_408_and_its_worker_is_replaced(gapminder, caplog):
    run(gapminder, "SELECT 1")
    before = set(query_workers.current_pool().pids())
    started = time.monotonic()
    with Bystander(gapminder) as bystander, pytest.raises(Timeout):
        run(gapminder, JARO_ATTACK, timeout_s=1)
    assert time.monotonic() - started < 4
    assert "ignored its interrupt" in caplog.text
    assert bystander.answers and all(answer == [[1704]] for answer in bystander.answers), bystander.answers[:3]
    after = set(query_workers.current_pool().pids())
    assert len(after) == 2 and len(after - before) == 1
    killed = before - after
    assert killed and not any(alive(pid) for pid in killed)
    assert run(gapminder, "SELECT max(year) FROM gapminder")[1] == [[2007]]


def test_the_cpu_limit_holds_without_the_wall_clock(gapminder, limits):
    limits.setenv("LUMIERE_QUERY_CPU_LIMIT_S", "1")
    reset_settings()
    started = time.monotonic()
    with pytest.raises(BadRequest) as caught:
        run(gapminder, JARO_ATTACK, timeout_s=60)
    assert "1 s of CPU time" in caught.value.detail
    assert time.monotonic() - started < 15  # 1 s of CPU, on a busy machine
    assert run(gapminder, "SELECT min(year) FROM gapminder")[1] == [[1952]]


def test_the_issues_jaro_winkler_attack_stops_within_bounds(gapminder):
    started = time.monotonic()
    with Bystander(gapminder) as bystander, pytest.raises((BadRequest, Timeout)) as caught:
        run(gapminder, ISSUE_JARO_ATTACK, timeout_s=4)
    assert caught.value.status_code in (400, 408)
    assert time.monotonic() - started < 6
    assert bystander.answers and all(answer == [[1704]] for answer in bystander.answers), bystander.answers[:3]
    assert len(query_workers.current_pool().pids()) == 2


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name, setting FROM pg_settings",
        "SELECT database_name, path FROM duckdb_databases",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM pragma_database_list",
        "WITH RECURSIVE pg_settings AS (SELECT * FROM pg_settings) SELECT name, setting FROM pg_settings",
        'WITH "duc\u212adb_databases" AS (SELECT 1) SELECT database_name, path FROM duckdb_databases',
        "SELECT * FROM gapminder, duckdb_settings()",
        "SELECT 1; SELECT * FROM pg_settings",
    ],
)
def test_the_plan_check_refuses_what_is_not_the_users_tables(gapminder, sql):
    with pytest.raises(SqlRefused) as caught:
        run(gapminder, sql)
    assert caught.value.status_code == 400
    assert "something other than your tables" in caught.value.detail


def test_a_table_of_the_file_that_the_source_does_not_list_is_refused(gapminder):
    assert warehouse.run_sandboxed(gapminder, "SELECT count(*) FROM gapminder", max_rows=1, timeout_s=20)[1] == [[1704]]
    with pytest.raises(SqlRefused):
        warehouse.run_sandboxed(gapminder, "SELECT count(*) FROM gapminder", max_rows=1, timeout_s=20, tables=["tips"])


def test_a_result_over_the_byte_cap_is_refused(gapminder, limits):
    limits.setenv("LUMIERE_MAX_RESULT_MB", "1")
    reset_settings()
    with pytest.raises(BadRequest) as caught:
        run(gapminder, "SELECT country || repeat('x', 1000) FROM gapminder", max_rows=10_000)
    assert "larger than the 1 MB" in caught.value.detail
    assert len(run(gapminder, "SELECT country FROM gapminder", max_rows=10_000)[1]) == 1704


def test_busy_workers_make_a_caller_wait_until_its_deadline(gapminder, limits):
    limits.setenv("LUMIERE_QUERY_WORKERS", "1")
    reset_settings()
    run(gapminder, "SELECT 1")
    def attack_times_out() -> None:
        with pytest.raises(Timeout):
            run(gapminder, JARO_ATTACK, 1.5)

    attack = threading.Thread(target=attack_times_out)
    attack.start()
    time.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        run(gapminder, "SELECT 1", timeout_s=0.5)
    assert "busy" in caught.value.detail and time.monotonic() - started < 1.5
    attack.join(10)
    assert run(gapminder, "SELECT 1")[1] == [[1]]


SCRIPT = """
import os, sys
from pathlib import Path
from lumiere.services import query_workers, warehouse
print(warehouse.run_sandboxed(Path(sys.argv[1]), "SELECT 42", max_rows=1, timeout_s=30)[1][0][0])
print(*query_workers.current_pool().pids(), flush=True)
if sys.argv[2] == "die":
    os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("ending", ["exit", "die"])
def test_no_worker_outlives_the_app(gapminder, ending):
    """At a normal exit the pool closes its workers; if the app is killed, they see their input end."""
    app = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(gapminder), ending], cwd=PROJECT_ROOT, env={**os.environ},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    output = present(app.stdout)
    answer, pids_line = output.readline().strip(), output.readline().split()
    app.wait(60)
    assert answer == "42" and len(pids_line) == 2
    assert app.returncode == (-signal.SIGKILL if ending == "die" else 0)
    pids = [int(pid) for pid in pids_line]
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_shutdown_ends_every_worker(gapminder):
    run(gapminder, "SELECT 1")
    pids = query_workers.current_pool().pids()
    assert len(pids) == 2
    query_workers.shutdown()
    assert not any(alive(pid) for pid in pids)
    assert run(gapminder, "SELECT 2")[1] == [[2]]  # a new pool starts on demand
    assert list((get_settings().data_dir / "spill").iterdir()) == []
