"""What the built-in engine costs per question on a 1,000,000-row upload, beside the query it writes.

    python bench/nlq_speed.py                 # 1,000,000 rows, 5 rounds of 30 questions
    python bench/nlq_speed.py --rows 200000 --rounds 3

Plotly's gapminder, repeated with its numbers varied (population, life expectancy and GDP per
capita moved by a deterministic few percent per copy, a `survey` wave per copy), is written to a
CSV and goes through the app's own ingest into a dataset file, which builds the word-to-value
index. Each everyday question then runs, alternating:
  (a) engine + matching: BuiltinEngine.generate, including warehouse.find_values on the index;
  (b) the same with the index dropped (an upload from before it): find_values scans the text
      columns through a guarded query in a worker, as every question did before;
  (c) the reference: the SQL the engine wrote, run through warehouse.execute (guard, worker).
Prints each question's median times, then the median over questions of (a), (b) and (c) and the
ratios a/c and b/c; the first lookup (reading the index from the file once per process) apart;
and the index build time beside the whole ingest time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "how many rows are there",
    "average life expectancy",
    "average life expectancy by continent",
    "total population in 2007",
    "population of France in 2007",
    "life expectancy in Japan in 2007",
    "which country has the highest gdp per capita",
    "top 5 countries by population in 2007",
    "average gdp per capita in Europe",
    "how many countries are in Africa",
    "number of countries per continent",
    "max life expectancy in Asia",
    "min population in Oceania",
    "average life expectancy in Europe in 1952",
    "total population by year",
    "population of China by year",
    "average gdp per capita by year in Americas",
    "which continent has the lowest life expectancy",
    "how many rows have population above 100000000",
    "median gdp per capita by continent",
    "life expectancy of Germany over time",
    "total population of Asia in 2007",
    "average life expectancy of Africa by year",
    "gdp per capita of United States in 2007",
    "highest population in Europe",
    "count of rows per year",
    "average population by continent in 2002",
    "lowest life expectancy in 2007",
    "sum of population for India",
    "average life expectancy per survey",
]


def write_csv(path: Path, rows: int) -> None:
    """gapminder repeated until `rows`, each copy's numbers varied by a few percent."""
    import duckdb
    import plotly.data

    frame = plotly.data.gapminder()
    copies = rows // len(frame) + 1
    with duckdb.connect() as con:
        con.register("gapminder", frame)
        con.execute(
            f"""
            COPY (
              SELECT country, continent, year,
                     round(lifeExp * (0.97 + (hash(k, country, 1) % 600) / 10000.0), 3) AS lifeExp,
                     (pop * (0.95 + (hash(k, country, 2) % 1000) / 10000.0))::BIGINT AS pop,
                     round(gdpPercap * (0.95 + (hash(k, country, 3) % 1000) / 10000.0), 4) AS gdpPercap,
                     iso_alpha, iso_num, 'wave ' || (k + 1) AS survey
              FROM gapminder, range({copies}) AS r(k)
              ORDER BY k, country, year
              LIMIT {int(rows)}
            ) TO '{path}' (HEADER, DELIMITER ',')
            """
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lumiere-bench-"))
    os.environ["LUMIERE_DATA_DIR"] = str(work / "data")
    try:
        run(work, args.rows, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, rows: int, rounds: int) -> None:
    import duckdb

    from lumiere.core.engine import CannotAnswer, QuestionContext
    from lumiere.models import Source
    from lumiere.nlq.engine import BuiltinEngine
    from lumiere.services import value_index, warehouse
    from lumiere.services.ingest import ingest_csv_file
    from lumiere.services.sources import table_infos
    from lumiere.storage.datasets import dataset_path

    csv = work / "gapminder_1m.csv"
    write_csv(csv, rows)
    source = Source(id=1, user_id=1, name="gapminder", kind="csv", table_name="gapminder",
                    storage_key=f"1/{secrets.token_hex(16)}.duckdb")
    dest = dataset_path(source)
    dest.parent.mkdir(parents=True)
    started = time.perf_counter()
    result = ingest_csv_file(csv, dest=dest, table_name="gapminder")
    ingest_s = time.perf_counter() - started
    source.row_count = result.row_count
    source.tables_json = [{"name": "gapminder", "row_count": result.row_count, "columns": result.columns}]
    source.profile_json = {"tables": [{"name": "gapminder", "columns": result.profile["columns"]}]}
    built = result.details["value_index"]

    # The same file without the index: the scan every question paid before.
    scanned = Source(id=2, user_id=1, name="gapminder", kind="csv", table_name="gapminder",
                     storage_key=f"1/{secrets.token_hex(16)}.duckdb", tables_json=source.tables_json,
                     profile_json=source.profile_json, row_count=result.row_count)
    shutil.copyfile(dest, dataset_path(scanned))
    with duckdb.connect(str(dataset_path(scanned))) as con:
        con.execute(f"DROP SCHEMA {value_index.INDEX_SCHEMA} CASCADE")
        con.execute("CHECKPOINT")

    engine = BuiltinEngine()

    def context(of: Source) -> QuestionContext:
        return QuestionContext(dialect="duckdb", tables=table_infos(of),
                               find_values=lambda phrases: warehouse.find_values(of, phrases))

    indexed_context, scanned_context = context(source), context(scanned)
    value_index.clear_cache()
    started = time.perf_counter()
    warehouse.find_values(source, ["France"])
    first_lookup_ms = (time.perf_counter() - started) * 1000

    sql_of: dict[str, str] = {}
    for question in QUESTIONS:  # warm up; both paths must write the same SQL
        try:
            sql_of[question] = engine.generate(question, indexed_context).sql
        except CannotAnswer as refusal:
            print(f"refused: {question!r}: {refusal}")
            continue
        assert engine.generate(question, scanned_context).sql == sql_of[question], question
        warehouse.execute(source, sql_of[question])

    timings: dict[str, dict[str, list[float]]] = {q: {"index": [], "scan": [], "query": []} for q in sql_of}
    for _ in range(rounds):
        for question, sql in sql_of.items():
            for name, step in (
                ("index", lambda q=question: engine.generate(q, indexed_context)),
                ("scan", lambda q=question: engine.generate(q, scanned_context)),
                ("query", lambda s=sql: warehouse.execute(source, s)),
            ):
                started = time.perf_counter()
                step()
                timings[question][name].append((time.perf_counter() - started) * 1000)

    print(f"{result.row_count:,} rows, {len(sql_of)} questions answered of {len(QUESTIONS)}, {rounds} rounds\n")
    print(f"{'question':<48} {'engine+index':>12} {'engine+scan':>12} {'query':>9}   (median ms)")
    medians: dict[str, list[float]] = {"index": [], "scan": [], "query": []}
    for question, by_step in timings.items():
        row = {name: statistics.median(values) for name, values in by_step.items()}
        for name, value in row.items():
            medians[name].append(value)
        print(f"{question[:48]:<48} {row['index']:12.2f} {row['scan']:12.2f} {row['query']:9.2f}")
    overall = {name: statistics.median(values) for name, values in medians.items()}
    print()
    print(f"median per question: engine + matching (index) {overall['index']:8.2f} ms")
    print(f"                     engine + matching (scan)  {overall['scan']:8.2f} ms")
    print(f"                     the query itself          {overall['query']:8.2f} ms   (reference)")
    print(f"ratios: index/query {overall['index'] / overall['query']:.2f}x   scan/query "
          f"{overall['scan'] / overall['query']:.2f}x   scan/index {overall['scan'] / overall['index']:.1f}x")
    print(f"first lookup of a process (reads the index from the file): {first_lookup_ms:.1f} ms")
    print(f"index build {built['seconds'] * 1000:.0f} ms of an ingest of {ingest_s * 1000:.0f} ms "
          f"({built['seconds'] / ingest_s:.1%}); {built['values']:,} values in "
          f"{', '.join(built['indexed_columns'])}; not indexed: {', '.join(built['skipped_columns']) or 'none'}")


if __name__ == "__main__":
    main()
