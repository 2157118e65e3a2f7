"""What the result cache and the built-in engine's per-dataset index save on a repeated question.

    python bench/cache.py               # gapminder (plotly's sample, 1,704 rows) and a 200,000-row table
    python bench/cache.py --runs 30

Each dataset goes through the app's own ingest. For each, the median of `--runs` timings, misses
and hits interleaved so that load on the machine hits both alike:
- query: `warehouse.execute` of an aggregate, with the result cache emptied first (miss) or holding it (hit);
- engine: the built-in engine reading a question, its per-dataset indexes (schema index and words, value
  index) dropped first (miss) or kept (hit);
- ask: the whole question as the API answers it (engine, query, chart, history), both caches cold or warm.
Prints miss ms, hit ms and miss/hit for each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = {"gapminder": "average life expectancy by continent", "orders": "total amount by region"}
SQL = {
    "gapminder": 'SELECT continent, AVG("lifeExp") AS life, SUM(pop) AS pop FROM gapminder GROUP BY continent',
    "orders": "SELECT region, product, SUM(amount) AS amount, COUNT(*) AS n FROM orders GROUP BY ALL",
}


def _median_ms(runs: int, prepare: Callable[[], None], work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _orders_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    pd.DataFrame({
        "region": rng.choice(["North", "South", "East", "West"], rows),
        "product": rng.choice([f"Product {n}" for n in range(300)], rows),
        "amount": rng.gamma(2.0, 40.0, rows).round(2),
        "ordered_on": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
    }).to_csv(path, index=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the generated orders table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["LUMIERE_DATA_DIR"] = str(Path(scratch) / "data")
        os.environ["LUMIERE_DATABASE_URL"] = f"sqlite:///{scratch}/app.db"
        os.environ["LUMIERE_BCRYPT_ROUNDS"] = "4"
        os.environ["LUMIERE_RATE_LIMITS_ENABLED"] = "false"
        for name in ("LUMIERE_REDIS_URL", "REFLEX_REDIS_URL", "LUMIERE_LLM_API_KEY", "OPENAI_API_KEY"):
            os.environ.pop(name, None)
        from lumiere.config import get_settings, reset_settings

        reset_settings()
        from lumiere.core.engine import QuestionContext
        from lumiere.db import migrate, saved_id, session_scope
        from lumiere.models import Source, User
        from lumiere.nlq.engine import BuiltinEngine
        from lumiere.nlq.schema import clear_schema_indexes
        from lumiere.services import ask, result_cache, sources, value_index, warehouse
        from lumiere.services.auth import register_user
        from lumiere.services.ingest import StagedUpload

        migrate(get_settings().resolved_database_url)
        csv = Path(scratch) / "orders.csv"
        _orders_csv(csv, args.rows)
        with session_scope() as session:
            user = register_user(session, email="bench@example.com", password="correct horse", name="Bench")
            datasets = {
                "gapminder": saved_id(sources.load_sample_dataset(session, user)),
                "orders": saved_id(sources.register_upload(session, user, StagedUpload(
                    path=csv, filename="orders.csv", size_bytes=csv.stat().st_size, encoding="utf-8"))),
            }
            user_id = saved_id(user)

        def cold() -> None:
            result_cache.reset()
            clear_schema_indexes()
            value_index.clear_cache()

        def warm() -> None:
            pass

        print(f"{'dataset':<10} {'step':<7} {'miss ms':>9} {'hit ms':>8} {'miss/hit':>9}")
        for name, source_id in datasets.items():
            with session_scope() as session:
                found = session.get(User, user_id)
                source = session.get(Source, source_id)
                assert found is not None and source is not None
                context = ask.build_context(session, found, source)

                def run_query(source: Source = source, dataset: str = name) -> object:
                    return warehouse.execute(source, SQL[dataset])

                def read(context: QuestionContext = context, dataset: str = name) -> object:
                    return BuiltinEngine().generate(QUESTIONS[dataset], context)

                def ask_once(account: User = found, wanted: int = source_id, dataset: str = name) -> object:
                    return ask.ask_question(session, account, source_id=wanted, question=QUESTIONS[dataset])

                steps: dict[str, Callable[[], object]] = {"query": run_query, "engine": read, "ask": ask_once}
                for step, work in steps.items():
                    work()  # the query workers, the value index and the imports are ready for both
                    misses, hits = [], []
                    for _ in range(args.runs):
                        misses.append(_median_ms(1, cold, work))
                        hits.append(_median_ms(1, warm, work))
                    miss, hit = statistics.median(misses), statistics.median(hits)
                    print(f"{name:<10} {step:<7} {miss:>9.1f} {hit:>8.1f} {miss / hit:>8.1f}x")
                session.rollback()  # the bench's questions leave no history
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
