"""What running queries in worker processes costs per query, against the in-process sandbox it replaced.

    python bench/query_overhead.py              # 200 rounds of each query
    python bench/query_overhead.py --rounds 50

Plotly's gapminder goes through the app's own ingest into a dataset file; each small query then
runs, alternating, (a) in process, the way queries ran before: a fresh sandbox in a new thread,
fetch, JSON-safe rows; and (b) through the worker pool (`warehouse.run_sandboxed`: request over
the pipe, fresh sandbox in the worker, plan check, JSON back). Prints the median and p90 of each
and the difference; the target is at most 5 ms added at the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "SELECT count(*) FROM gapminder",
    "SELECT continent, avg(lifeExp) AS life FROM gapminder GROUP BY continent ORDER BY life DESC",
    "SELECT country, year, pop FROM gapminder WHERE year = 2007 ORDER BY pop DESC LIMIT 10",
]


def in_process(dataset: Path, sql: str) -> list[list[object]]:
    """Today's former path: a new thread opens a sandbox, runs, fetches and converts the rows."""
    from lumiere.config import get_settings
    from lumiere.core.json_values import json_safe
    from lumiere.storage.sandbox import SandboxConfig, sandboxed_connection

    settings = get_settings()
    config = SandboxConfig(settings.duckdb_memory_limit, settings.duckdb_threads, settings.data_dir / "spill")
    out: list[list[object]] = []

    def work() -> None:
        with sandboxed_connection(dataset, config) as connection:
            connection.execute(sql)
            out.extend([json_safe(value) for value in row] for row in connection.fetchmany(10_001))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return out


def in_worker(dataset: Path, sql: str) -> list[list[object]]:
    from lumiere.services import warehouse

    return warehouse.run_sandboxed(dataset, sql, max_rows=10_000, timeout_s=30, tables=["gapminder"])[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lumiere-bench-"))
    os.environ["LUMIERE_DATA_DIR"] = str(work / "data")

    import plotly.data

    from lumiere.services.ingest import ingest_csv_file

    csv = work / "gapminder.csv"
    plotly.data.gapminder().to_csv(csv, index=False)
    dataset = work / "data" / "gapminder.duckdb"
    dataset.parent.mkdir(parents=True)
    ingest_csv_file(csv, dest=dataset, table_name="gapminder")

    for sql in QUERIES:  # warm both paths up; the results must agree
        assert in_process(dataset, sql) == in_worker(dataset, sql), sql
    timings: dict[str, list[float]] = {"in process": [], "worker": []}
    for _ in range(args.rounds):
        for sql in QUERIES:
            for name, runner in (("in process", in_process), ("worker", in_worker)):
                started = time.perf_counter()
                runner(dataset, sql)
                timings[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, values in timings.items():
        p90 = percentile(values, 0.9)
        print(f"{name:>10}: median {medians[name]:6.2f} ms   p90 {p90:6.2f} ms   ({len(values)} queries)")
    added = medians["worker"] - medians["in process"]
    ratio = medians["worker"] / medians["in process"]
    print(f"     added: median {added:+6.2f} ms   ratio {ratio:.2f}x   (target <= 5 ms)")


if __name__ == "__main__":
    main()
