"""Export speed and memory: CSV and XLSX of 1,000,000 rows, against DuckDB's own COPY; PDF cold and warm.

    python bench/export.py                 # 1,000,000 rows
    python bench/export.py --rows 200000

Plotly's gapminder, repeated to the row count (11 columns: text, integers, doubles), goes into a
dataset file laid out as uploads are. Each export then runs in a fresh process through the real
path (guard, query worker, streamed batches, writer) into a sink that counts the bytes; the report
gives seconds, rows/s and the peak RSS of the exporting process and of its query worker. The
reference is DuckDB writing the same table with `COPY ... TO 'x.csv'` in process (no guard, no
worker, no neutralising), and the ratio says how far the export is from it. PDFs: the first one in
a fresh process (browser start included) and the next one (kept-alive browser).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLE = "gapminder_big"
PDF_SQL = (f'SELECT continent, "year", AVG(lifeExp) AS life_expectancy FROM {TABLE} '
           'GROUP BY continent, "year" ORDER BY "year", continent')


class Sink:
    """A binary stream that only counts what is written to it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _peak_mb(pid: int | str = "self") -> float:
    """Peak RSS (VmHWM) of a live process's own memory. Not ru_maxrss: Linux carries that over from
    the parent across a vfork+exec, so a child would report its parent's peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


def _subject(storage_key: str, sql: str, chart: dict | None = None):
    from datetime import UTC, datetime

    from lumiere.models import Source
    from lumiere.services.exports import ExportSubject

    source = Source(user_id=1, name="gapminder (repeated)", kind="csv", table_name=TABLE, storage_key=storage_key,
                    tables_json=[{"name": TABLE, "columns": []}])
    return ExportSubject(title="Export benchmark", question="life expectancy by continent and year", source=source,
                         sql=sql, chart=chart, ran_at=datetime.now(UTC))


def child(spec: dict) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    from lumiere.core.enums import ExportFormat
    from lumiere.services import query_workers
    from lumiere.services.exports import write_export

    query_workers.current_pool()
    report: dict[str, float] = {"app_before_mb": _peak_mb()}
    if spec["format"] == "pdf":
        chart = {"type": "line", "x": "year", "y": "life_expectancy", "color": "continent", "title": "Life expectancy"}
        subject = _subject(spec["storage_key"], PDF_SQL, chart)
        for name in ("cold", "warm", "warm2"):
            sink = Sink()
            started = time.perf_counter()
            write_export(subject, ExportFormat.PDF, sink)  # type: ignore[arg-type]
            report[f"{name}_s"] = time.perf_counter() - started
            report["bytes"] = sink.bytes
    else:
        sink = Sink()
        started = time.perf_counter()
        summary = write_export(_subject(spec["storage_key"], f"SELECT * FROM {TABLE}"),
                               ExportFormat(spec["format"]), sink)  # type: ignore[arg-type]
        report.update(seconds=time.perf_counter() - started, rows=summary.row_count, bytes=sink.bytes)
    report["app_peak_mb"] = _peak_mb()
    report["worker_peak_mb"] = max(_peak_mb(pid) for pid in query_workers.current_pool().pids())
    query_workers.shutdown()
    print(json.dumps(report))


def _measure(spec: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {spec['format']} export failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    work = Path(tempfile.mkdtemp(prefix="lumiere-bench-export-"))
    os.environ["LUMIERE_DATA_DIR"] = str(work / "data")

    import duckdb
    import plotly.data

    from lumiere.models import Source
    from lumiere.storage.datasets import dataset_path

    source = Source(user_id=1, name=TABLE, kind="csv", table_name=TABLE, storage_key="1/bench-export.duckdb")
    path = dataset_path(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    gapminder = plotly.data.gapminder()
    copies = -(-args.rows // len(gapminder))
    with duckdb.connect(str(path)) as db:
        db.register("g", gapminder)
        db.execute(f"CREATE TABLE {TABLE} AS SELECT g.*, r.i AS copy, g.country || ' #' || r.i AS label "
                   f"FROM g CROSS JOIN range({copies}) r(i) LIMIT {args.rows}")
    with duckdb.connect(str(path), read_only=True) as db:
        target = work / "duckdb-copy.csv"
        started = time.perf_counter()
        db.execute(f"COPY (SELECT * FROM {TABLE}) TO '{target}' (HEADER)")
        copy_s = time.perf_counter() - started
        copy_mb = target.stat().st_size / 2**20
    print(f"{args.rows:,} rows x {len(gapminder.columns) + 2} columns; dataset {path.stat().st_size / 2**20:.0f} MB")
    print(f"DuckDB COPY TO csv: {copy_s:6.2f} s  {args.rows / copy_s:>10,.0f} rows/s  ({copy_mb:.0f} MB)")
    key = str(source.storage_key)
    for fmt in ("csv", "xlsx"):
        report = _measure({"format": fmt, "storage_key": key})
        assert report["rows"] == args.rows, report
        print(f"export {fmt:>4}:        {report['seconds']:6.2f} s  {args.rows / report['seconds']:>10,.0f} rows/s  "
              f"({report['bytes'] / 2**20:.0f} MB)  x{report['seconds'] / copy_s:.1f} DuckDB COPY  "
              f"peak RSS: app {report['app_peak_mb']:.0f} MB (+{report['app_peak_mb'] - report['app_before_mb']:.0f} "
              f"while exporting), query worker {report['worker_peak_mb']:.0f} MB")
    pdf = _measure({"format": "pdf", "storage_key": key})
    print(f"PDF (line chart, 50-row table): cold {pdf['cold_s']:.2f} s (browser start included), "
          f"warm {pdf['warm_s']:.2f} s / {pdf['warm2_s']:.2f} s  ({pdf['bytes'] / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
