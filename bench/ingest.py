"""Upload + ingest benchmark: the app's HTTP upload path against DuckDB's and pandas' own readers.

    python bench/ingest.py                 # ~1 GB, 10M rows of mixed types
    python bench/ingest.py --rows 200000   # a quick run

In one run, on the same generated CSV:
  (a) the real API (granian serving lumiere.api:create_api, its own data dir and SQLite DB):
      register, log in, warm the worker up the way a day of use does (load the sample dataset,
      open it, ask a question, ask for an insight: every library an answer needs is then in
      memory and stays there), then POST the file to /api/data/upload, until the 201 arrives;
  (b) DuckDB read_csv into a table of a fresh DuckDB file;
  (c) pandas.read_csv, then the DataFrame into a fresh DuckDB file.
Prints the times, the ratios a/b and c/b, and the peak RSS of the server process tree during
(a) (targets: a/b <= 1.2, peak RSS <= 600 MB), with the idle RSS right after start ("cold") and
after the warm-up ("warm"); --cold skips the warm-up. It also prints the CPU seconds of (a) (the
server's process tree) and (b), whose ratio stays steady when other work shares the machine.
Output also goes to bench/out/ingest.json.
With --repeat N, (a) and (b) alternate N times and the best of each counts (other work on the
machine only ever makes a run slower). The server inherits the environment, so for instance
LUMIERE_INGEST_MEMORY_LIMIT=16GB shows what the ingest memory cap costs in time.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pandas
import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
RSS_TARGET_MB = 600
RATIO_TARGET = 1.2


def generate_csv(path: Path, rows: int) -> None:
    """Deterministic mixed-type rows (~100 bytes each): ints, timestamps, dates, text with
    quotes and commas, decimals, booleans."""
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT i AS order_id,
                 TIMESTAMP '2020-01-01' + to_seconds((hash(i) % 126230400)::BIGINT) AS ordered_at,
                 DATE '2020-01-01' + ((hash(i * 7) % 1461)::INTEGER) AS ship_date,
                 (['North', 'South', 'East', 'West', 'Central'])[1 + (hash(i * 3) % 5)::INTEGER] AS region,
                 'Customer ' || (hash(i * 11) % 50000)::VARCHAR AS customer,
                 round(((hash(i * 13) % 100000)::DOUBLE) / 100.0, 2) AS amount,
                 (hash(i * 17) % 20)::INTEGER + 1 AS quantity,
                 ((hash(i * 19) % 1000000)::DOUBLE) / 1000000.0 AS discount_rate,
                 (hash(i * 23) % 2) = 0 AS returned,
                 (['express', 'standard', 'pickup, in store', 'overnight "priority"'])[1 + (hash(i * 29) % 4)::INTEGER]
                     AS shipping
          FROM range({int(rows)}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_file(port: int, token: str, csv_path: Path) -> tuple[int, dict]:
    """POST the file as multipart/form-data over a plain HTTP/1.1 connection, handing the file
    body to the kernel with sendfile: the client shares the machine's CPUs with the server being
    measured, so it should cost as little as possible."""
    boundary = "lumiere-bench-" + os.urandom(8).hex()
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{csv_path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + csv_path.stat().st_size + len(tail)
    request = (
        f"POST /api/data/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock, csv_path.open("rb") as handle:
        sock.sendall(request + head)
        sock.sendfile(handle)
        sock.sendall(tail)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read() or b"{}")


class TreeRssSampler(threading.Thread):
    """Peak resident memory of a process and all its children, sampled every 20 ms, as the sum of
    their RSS (what the target names; pages the processes share, such as libraries, count once per
    process) and as the sum of their PSS (each shared page split between its sharers: the machine's
    memory the tree really holds)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.peak_pss = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            rss = pss = 0
            try:
                for proc in [self.process, *self.process.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        memory = proc.memory_full_info()
                        rss, pss = rss + memory.rss, pss + memory.pss
            except psutil.NoSuchProcess:
                return
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._done.wait(0.02)

    def stop(self) -> tuple[int, int]:
        """(peak RSS sum, peak PSS sum) in bytes."""
        self._done.set()
        self.join()
        return self.peak, self.peak_pss


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children: on a machine shared
    with other work, the CPU an upload costs varies far less from run to run than its wall time."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def tree_rss(pid: int) -> int:
    root = psutil.Process(pid)
    return sum(proc.memory_info().rss for proc in [root, *root.children(recursive=True)])


def warm_up(client: httpx.Client, token: str) -> None:
    """What a worker has done before a big upload on an ordinary day: an answer with its chart,
    an insight, a source's page with suggested questions."""
    headers = {"Authorization": f"Bearer {token}"}
    sample = client.post("/api/data/sample", headers=headers)
    sample.raise_for_status()
    source_id = sample.json()["id"]
    client.get(f"/api/data/source/{source_id}", headers=headers).raise_for_status()
    answer = client.post("/api/ai/query", headers=headers,
                         json={"source_id": source_id, "question": "average life expectancy by continent"})
    answer.raise_for_status()
    client.post("/api/ai/insight", headers=headers, json={"query_id": answer.json()["query_id"]}).raise_for_status()


def bench_app_upload(csv_path: Path, work: Path, *, warm: bool = True) -> dict[str, float]:
    """(a) POST the file to the real API served by granian in a subprocess."""
    env = {
        **os.environ,
        "LUMIERE_DATA_DIR": str(work / "data"),
        "LUMIERE_DATABASE_URL": f"sqlite:///{work / 'app.db'}",
        "LUMIERE_SECRET_KEY": "bench-" + os.urandom(24).hex(),
        "LUMIERE_BCRYPT_ROUNDS": "4",
        "LUMIERE_MAX_UPLOAD_MB": str(max(500, csv_path.stat().st_size // (1024 * 1024) + 16)),
    }
    subprocess.run([sys.executable, "-m", "lumiere.cli", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "lumiere.api:create_api"],
        env=env, cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=3600) as client:
            for _ in range(1200):  # a busy machine can take a minute to start the server
                try:
                    client.get("/api/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            account = {"email": "bench@example.com", "password": "bench-password", "name": "Bench"}
            client.post("/api/auth/register", json=account).raise_for_status()
            for _ in range(50):  # the app may commit the new account just after answering
                login = client.post("/api/auth/login", json=account)
                if login.status_code != 401:
                    break
                time.sleep(0.1)
            login.raise_for_status()
            token = login.json()["access_token"]
            cold_rss = tree_rss(server.pid)
            if warm:
                warm_up(client, token)
            idle_rss = tree_rss(server.pid)
            sampler = TreeRssSampler(server.pid)
            sampler.start()
            cpu_before = tree_cpu(server.pid)
            started = time.perf_counter()
            status, source = post_file(port, token, csv_path)
            elapsed = time.perf_counter() - started
            cpu = tree_cpu(server.pid) - cpu_before
            peak, peak_pss = sampler.stop()
            if status != 201:
                raise SystemExit(f"upload failed: {status} {source}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "seconds": elapsed,
        "cpu_s": cpu,
        "peak_rss_mb": peak / 1e6,
        "peak_pss_mb": peak_pss / 1e6,
        "cold_rss_mb": cold_rss / 1e6,
        "idle_rss_mb": idle_rss / 1e6,
        "rows": source["row_count"],
        "columns": source["column_count"],
        "dataset_mb": source["size_bytes"] / 1e6,
    }


def bench_duckdb(csv_path: Path, work: Path) -> dict[str, float]:
    """(b) DuckDB's read_csv into a table of a fresh DuckDB file (default settings)."""
    target = work / "duckdb_only.duckdb"
    started, cpu_started = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(target))
    created = con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')").fetchone()
    rows = created[0] if created else 0
    con.close()
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu_started, "rows": rows}


def bench_pandas(csv_path: Path, work: Path) -> dict[str, float]:
    """(c) pandas.read_csv, then the DataFrame into a fresh DuckDB file."""
    target = work / "pandas.duckdb"
    started = time.perf_counter()
    frame = pandas.read_csv(csv_path)
    con = duckdb.connect(str(target))
    con.register("frame", frame)
    con.execute("CREATE TABLE t AS SELECT * FROM frame")
    con.close()
    rows = len(frame)
    del frame
    return {"seconds": time.perf_counter() - started, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (default 10M, ~1 GB)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (a) and (b); the best of each counts")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out (c)")
    parser.add_argument("--csv", type=Path, help="use this CSV instead of generating one")
    parser.add_argument("--cold", action="store_true", help="upload to a fresh worker, without the warm-up")
    args = parser.parse_args()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    csv_path = args.csv or OUT_DIR / f"ingest_{args.rows}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path.name} ({args.rows:,} rows)...", flush=True)
        generate_csv(csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 1e6
    print(f"file: {csv_path.name}, {size_mb:,.0f} MB, {os.cpu_count()} CPUs", flush=True)

    runs_a: list[dict[str, float]] = []
    runs_b: list[dict[str, float]] = []
    for run in range(args.repeat):
        app_upload = functools.partial(bench_app_upload, warm=not args.cold)
        for label, bench, runs in (("b", bench_duckdb, runs_b), ("a", app_upload, runs_a)):
            work = Path(tempfile.mkdtemp(prefix=f"lumiere-bench-{label}-", dir=OUT_DIR))
            try:
                result = bench(csv_path, work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            runs.append(result)
            print(f"run {run + 1} ({label}): {result['seconds']:.2f} s, {result['cpu_s']:.2f} CPU s", flush=True)
    best_a = min(runs_a, key=lambda r: r["seconds"])
    best_b = min(runs_b, key=lambda r: r["seconds"])
    result_c = None
    if not args.skip_pandas:
        work = Path(tempfile.mkdtemp(prefix="lumiere-bench-c-", dir=OUT_DIR))
        try:
            result_c = bench_pandas(csv_path, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    peak = max(r["peak_rss_mb"] for r in runs_a)
    peak_pss = max(r["peak_pss_mb"] for r in runs_a)
    cpu_a, cpu_b = min(r["cpu_s"] for r in runs_a), min(r["cpu_s"] for r in runs_b)
    report = {
        "file_mb": size_mb,
        "rows": best_b["rows"],
        "a_app_upload_s": best_a["seconds"],
        "b_duckdb_read_csv_s": best_b["seconds"],
        "c_pandas_s": result_c["seconds"] if result_c else None,
        "a_over_b": best_a["seconds"] / best_b["seconds"],
        "a_cpu_s": cpu_a,
        "b_cpu_s": cpu_b,
        "c_over_b": result_c["seconds"] / best_b["seconds"] if result_c else None,
        "app_peak_rss_mb": peak,
        "app_peak_pss_mb": peak_pss,
        "app_idle_rss_mb": best_a["idle_rss_mb"],
        "app_cold_rss_mb": best_a["cold_rss_mb"],
        "warm": not args.cold,
        "app_rows": best_a["rows"],
        "dataset_mb": best_a["dataset_mb"],
        "runs_a_s": [r["seconds"] for r in runs_a],
        "runs_b_s": [r["seconds"] for r in runs_b],
    }
    print()
    print(f"(a) app upload+ingest over HTTP : {best_a['seconds']:8.2f} s  ({best_a['rows']:,} rows)")
    print(f"(b) DuckDB read_csv             : {best_b['seconds']:8.2f} s")
    if result_c:
        print(f"(c) pandas read_csv -> DuckDB   : {result_c['seconds']:8.2f} s")
    print(f"a/b = {report['a_over_b']:.2f} (target <= {RATIO_TARGET})"
          + (f", c/b = {report['c_over_b']:.2f}" if result_c else ""))
    print(f"CPU seconds: (a) {cpu_a:.2f}, (b) {cpu_b:.2f}, a/b = {cpu_a / cpu_b:.2f} "
          "(best of each; steadier than wall time)")
    print(f"app peak RSS during (a): {peak:,.0f} MB (target <= {RSS_TARGET_MB}); idle before the upload "
          f"{best_a['idle_rss_mb']:,.0f} MB{'' if args.cold else ' after the warm-up'}, "
          f"{best_a['cold_rss_mb']:,.0f} MB right after start")
    print(f"app peak PSS during (a): {peak_pss:,.0f} MB (shared pages counted once across the server's processes)")
    (OUT_DIR / "ingest.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
