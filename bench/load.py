"""Load test: the production app under 1, 50 and 200 simulated users (locust, headless, loopback only).

    python bench/load.py                          # 60 s at each of 1, 50 and 200 users
    python bench/load.py --duration 30 --users 1,50
    python bench/load.py --url http://127.0.0.1:3000 --accounts accounts.json   # an app already running
    python bench/load.py --database-url postgresql+psycopg2://postgres@127.0.0.1:5432/lumiere_load  # empty, on PG
    python bench/load.py --workers 2 --redis-url redis://127.0.0.1:6379/7 --database-url ...  # production mode

Starts the app the way `make run` does with its embedded defaults (production build, SQLite app
database, DuckDB files), or with --workers/--redis-url/--database-url the way `WORKERS=N make serve`
does, in a temporary data folder on a free port, creates the accounts (bcrypt at the default cost)
with the sample dataset each, then runs bench/load_users.py with locust at each user count in turn:
sign in, then a mix of questions (repeated and new), source lists, previews, history, charts,
insights and page loads with 0.5-1.5 s think time. Prints p50/p95/p99, errors, throughput per level,
the ratio p95(50 users) / p50(1 user) against the target <= 3, 0 errors at 50 users, no 5xx at 200
users (429s are fine), and whether the app answers at once after each run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test-pass-1"
START_TIMEOUT_S = 900  # the first production build of the frontend takes minutes
RECOVERY_TARGET_MS = 1000


@dataclass
class Level:
    users: int
    requests: int = 0
    failures: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    rps: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)  # failures over the whole run, spawning included
    sign_in_p50_ms: float = 0.0
    by_kind: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # name -> (requests, p50, p95)
    recovery_ms: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.by_status.items() if status.startswith("5"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(folder: Path, extra: dict[str, str], database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = Path(sys.executable).parent
    env["PATH"] = os.pathsep.join([str(venv_bin.parent / "nodebin"), str(venv_bin), env.get("PATH", "")])
    env.update(
        {
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_USE_NPM": "1",
            "LUMIERE_DATA_DIR": str(folder / "data"),
            "LUMIERE_DATABASE_URL": database_url or f"sqlite:///{folder / 'app.db'}",
        }
    )
    env.update(extra)
    return env


def production_settings(workers: int, redis_url: str | None) -> dict[str, str]:
    """What `WORKERS=N make serve` sets: Granian's worker count and one Redis for Reflex and Lumiere."""
    settings = {"GRANIAN_WORKERS": str(workers)}
    if redis_url:
        settings |= {"REFLEX_REDIS_URL": redis_url, "LUMIERE_REDIS_URL": redis_url}
    return settings


def create_accounts(env: dict[str, str], count: int) -> list[dict[str, object]]:
    """Accounts with the sample dataset, made through the services on the app's own database."""
    os.environ.update(env)
    from lumiere.config import reset_settings
    from lumiere.db import migrate, saved_id, session_scope
    from lumiere.services.auth import issue_token, register_user
    from lumiere.services.sources import load_sample_dataset

    reset_settings()
    migrate()

    def one(number: int) -> dict[str, object]:
        email = f"analyst{number}@example.com"
        with session_scope() as session:
            user = register_user(session, email=email, password=PASSWORD, name=f"Analyst {number}")
            source = load_sample_dataset(session, user)
            # Already signed in when the load starts: a crowd that all signs in within seconds is a
            # bcrypt storm (a quarter of a CPU second each), not a team's day; signing in again is in the mix.
            token = issue_token(user).access_token
            return {"email": email, "password": PASSWORD, "source_id": saved_id(source), "token": token}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, range(count)))


def start_app(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lumiere.launch", "run", "--env", "prod", "--single-port",
             "--frontend-port", str(port), "--loglevel", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise SystemExit(f"The app exited while starting; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2, follow_redirects=True).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_app(process)
            raise SystemExit(f"The app did not start within {START_TIMEOUT_S}s; see {log_path}")
        time.sleep(1)


def stop_app(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def run_level(url: str, users: int, duration_s: int, accounts_file: Path, out: Path) -> Level:
    """Spawns `users` (at most 10 a second), then measures `duration_s` of steady load."""
    prefix, tally = out / f"users_{users}", out / f"users_{users}_tally.json"
    spawn_rate = max(1, min(users, 10))
    env = {**os.environ, "LUMIERE_LOAD_ACCOUNTS": str(accounts_file), "LUMIERE_LOAD_TALLY": str(tally)}
    subprocess.run(
        [str(Path(sys.executable).parent / "locust"), "-f", str(Path(__file__).with_name("load_users.py")),
         "--headless", "--host", url, "-u", str(users), "-r", str(spawn_rate), "--reset-stats",
         "-t", f"{duration_s + users // spawn_rate}s", "--csv", str(prefix), "--only-summary",
         "--loglevel", "WARNING", "--exit-code-on-error", "0", "--stop-timeout", "10"],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    level = Level(users=users)
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
                level.requests = int(row["Request Count"])
                level.p50_ms, level.p95_ms, level.p99_ms = (float(row[key]) for key in ("50%", "95%", "99%"))
                level.rps = float(row["Requests/s"])
            elif int(row["Request Count"]):
                level.by_kind[row["Name"]] = (int(row["Request Count"]), float(row["50%"]), float(row["95%"]))
    counted = json.loads(tally.read_text())
    level.by_status = {status: count for status, count in counted["outcomes"].items() if status != "ok"}
    level.failures = sum(level.by_status.values())
    level.sign_in_p50_ms = statistics.median(counted["sign_in_ms"] or [0.0])
    level.recovery_ms = recovery_ms(url, accounts_file)
    return level


def recovery_ms(url: str, accounts_file: Path) -> float:
    """How long a signed-in request takes right after the load stops (sign-in itself is bcrypt)."""
    account = json.loads(accounts_file.read_text())[0]
    with httpx.Client(base_url=url, timeout=30) as client:
        try:
            token = client.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            started = time.perf_counter()
            client.get("/api/data/sources", headers=headers).raise_for_status()
        except (httpx.HTTPError, KeyError, ValueError):
            return float("inf")  # no answer within 30 s, or an error
        return (time.perf_counter() - started) * 1000


def report(levels: list[Level]) -> bool:
    print("Latency and throughput: steady load, after every user has signed in; errors: the whole run.")
    print(f"{'users':>5} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'5xx':>4} {'429':>4} {'sign-in p50':>11} {'after ms':>8}")
    for level in levels:
        print(f"{level.users:>5} {level.requests:>8} {level.rps:>6.1f} {level.p50_ms:>7.0f} {level.p95_ms:>7.0f} "
              f"{level.p99_ms:>7.0f} {level.failures:>6} {level.server_errors:>4} "
              f"{level.by_status.get('429', 0):>4} {level.sign_in_p50_ms:>11.0f} {level.recovery_ms:>8.0f}")
        others = {status: count for status, count in level.by_status.items() if status != "429"}
        if others:
            print(f"      failures by status: {others}")
    print("By kind of request, p50 / p95 ms:")
    kinds = sorted({kind for level in levels for kind in level.by_kind})
    print(f"{'':>14}" + "".join(f"{f'{level.users} users':>16}" for level in levels))
    for kind in kinds:
        cells = [level.by_kind.get(kind) for level in levels]
        print(f"{kind:>14}" + "".join(f"{f'{c[1]:.0f} / {c[2]:.0f}' if c else '-':>16}" for c in cells))
    single = next((level for level in levels if level.users == 1), None)
    ok = True
    for level in levels:
        if level.users == 50 and single:
            ratio = level.p95_ms / max(single.p50_ms, 1.0)
            verdict = ratio <= 3 and level.failures == 0
            ok &= verdict
            print(f"50 users: p95 {level.p95_ms:.0f} ms / one user's p50 {single.p50_ms:.0f} ms = {ratio:.1f} "
                  f"(target <= 3), {level.failures} errors (target 0): {'met' if verdict else 'NOT met'}")
        if level.users >= 200:
            verdict = level.server_errors == 0
            ok &= verdict
            print(f"{level.users} users: {level.server_errors} 5xx (target 0; 429s are fine): "
                  f"{'met' if verdict else 'NOT met'}")
        recovered = level.recovery_ms <= RECOVERY_TARGET_MS
        ok &= recovered
        print(f"after {level.users} users: a request takes {level.recovery_ms:.0f} ms "
              f"(target <= {RECOVERY_TARGET_MS}): {'met' if recovered else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1,50,200", help="user counts, run in turn (default 1,50,200)")
    parser.add_argument("--duration", type=int, default=60, help="seconds at each user count (default 60)")
    parser.add_argument("--accounts", type=int, default=51, help="accounts to create (default 51)")
    parser.add_argument("--url", help="an app already running (then --accounts-file names its accounts)")
    parser.add_argument("--accounts-file", type=Path, help="JSON accounts for --url: email, password, source_id, token")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, locust CSVs)")
    parser.add_argument("--database-url", help="an empty app database to use instead of SQLite (PostgreSQL)")
    parser.add_argument("--workers", type=int, default=1,
                        help="backend processes, as `WORKERS=N make serve` (N > 1 needs --redis-url)")
    parser.add_argument("--redis-url", help="Redis for Reflex state, limits, cache and jobs (an otherwise unused db)")
    args = parser.parse_args()
    if args.workers > 1 and not args.redis_url:
        parser.error("--workers above 1 needs --redis-url: the workers share sessions through Redis")
    counts = [int(part) for part in args.users.split(",") if part.strip()]

    folder = Path(tempfile.mkdtemp(prefix="lumiere-load-"))
    process = None
    try:
        if args.url:
            url, accounts_file = args.url.rstrip("/"), args.accounts_file
            if accounts_file is None:
                parser.error("--url needs --accounts-file")
        else:
            env = app_env(folder, production_settings(args.workers, args.redis_url), args.database_url)
            accounts_file = folder / "accounts.json"
            started = time.monotonic()
            accounts_file.write_text(json.dumps(create_accounts(env, args.accounts)))
            print(f"{args.accounts} accounts with the sample dataset in {time.monotonic() - started:.0f} s")
            port = free_port()
            process = start_app(env, port, folder / "app.log")
            url = f"http://127.0.0.1:{port}"
            print(f"app up at {url} (log: {folder / 'app.log'})")
        levels = []
        for users in counts:
            levels.append(run_level(url, users, args.duration, accounts_file, folder))
            print(f"{users} users done", flush=True)
        return 0 if report(levels) else 1
    finally:
        if process is not None:
            stop_app(process)
        if args.keep:
            print(f"kept {folder}")
        else:
            subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    raise SystemExit(main())
