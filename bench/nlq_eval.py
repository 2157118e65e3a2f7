"""Execution accuracy of a question engine on the public NL->SQL sets in shared/eval.

    python bench/nlq_eval.py --engine builtin --set all --show-misses 20

Each CSV is loaded once per run (cached under bench/out/), each question goes through the
engine, the SQL runs on DuckDB and the rows are compared with the gold answer the way the
eval README asks. Questions with an even number in their id form the dev split the engine was
tuned on; the odd ones are held out, so the two figures side by side show any overfitting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import duckdb  # noqa: E402

from lumiere.llm.base import (  # noqa: E402
    CannotAnswer,
    ColumnInfo,
    QuestionContext,
    QuestionEngine,
    TableInfo,
    ValueMatch,
)

DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
RELATIVE_TOLERANCE = 1e-4


# --------------------------------------------------------------------------- tables
SAMPLE_VALUES = 5


def _kind_of(type_name: str) -> str:
    upper = type_name.upper()
    if upper in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}:
        return "integer"
    if upper in {"DOUBLE", "FLOAT", "REAL"} or upper.startswith("DECIMAL"):
        return "number"
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "datetime"
    if upper == "BOOLEAN":
        return "boolean"
    if upper == "VARCHAR":
        return "text"
    return "other"


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "is_finite") and hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class LoadedTable:
    """One CSV loaded into its own in-memory DuckDB, with the profile the engines see."""

    def __init__(self, csv_path: Path, table_name: str) -> None:
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(
            f"CREATE TABLE {_quoted(table_name)} AS SELECT * FROM read_csv(?, header = true)", [str(csv_path)]
        )
        self.table_name = table_name
        self.info = self._profile()

    def _profile(self) -> TableInfo:
        table = _quoted(self.table_name)
        described = self.connection.execute(f"DESCRIBE {table}").fetchall()
        row_count = self.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        columns = []
        for name, type_name, *_ in described:
            column = _quoted(name)
            distinct, nulls, low, high = self.connection.execute(
                f"SELECT count(DISTINCT {column}), count(*) - count({column}), min({column}), max({column}) FROM {table}"
            ).fetchone()
            samples = [
                _json_safe(row[0])
                for row in self.connection.execute(
                    f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT {SAMPLE_VALUES}"
                ).fetchall()
            ]
            columns.append(
                ColumnInfo(
                    name=name,
                    type=type_name,
                    kind=_kind_of(type_name),
                    samples=samples,
                    distinct_count=distinct,
                    null_count=nulls,
                    min=_json_safe(low),
                    max=_json_safe(high),
                )
            )
        return TableInfo(name=self.table_name, row_count=row_count, columns=columns)

    def find_values(self, phrases: list[str]) -> list[ValueMatch]:
        wanted = sorted({phrase.lower() for phrase in phrases if phrase.strip()})
        if not wanted:
            return []
        by_lower = {phrase.lower(): phrase for phrase in phrases}
        matches: list[ValueMatch] = []
        placeholders = ", ".join("?" for _ in wanted)
        for column in self.info.columns:
            if column.kind != "text":
                continue
            quoted = _quoted(column.name)
            rows = self.connection.execute(
                f"SELECT DISTINCT {quoted} FROM {_quoted(self.table_name)} "
                f"WHERE lower(trim({quoted})) IN ({placeholders}) LIMIT 50",
                wanted,
            ).fetchall()
            for (value,) in rows:
                matches.append(ValueMatch(self.table_name, column.name, value, by_lower.get(value.strip().lower(), value)))
        return matches

    def run(self, sql: str) -> list[list[Any]]:
        cursor = self.connection.execute(sql)
        return [[_json_safe(cell) for cell in row] for row in cursor.fetchmany(10_000)]


class TableCache:
    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.tables: dict[Path, LoadedTable] = {}

    def describe(self) -> str:
        return "DuckDB read_csv into an in-memory database per CSV; SQL run on a plain DuckDB connection"

    def load(self, csv_path: Path, table_name: str) -> LoadedTable:
        if csv_path not in self.tables:
            self.tables[csv_path] = LoadedTable(csv_path, table_name)
        return self.tables[csv_path]

    def close(self) -> None:
        for table in self.tables.values():
            table.connection.close()


# --------------------------------------------------------------------------- scoring
def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
            return float(text)
    return None


_BOOLEAN_TEXT = {"t": True, "true": True, "f": False, "false": False}


def _spider_key(value: Any) -> tuple:
    """A hashable form in which equal answers collide: numbers rounded, strings trimmed."""
    if value is None:
        return ("null",)
    if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT):
        # CSV type inference may turn T/F columns into booleans: the same answer either way
        return ("bool", value if isinstance(value, bool) else _BOOLEAN_TEXT[value.strip().lower()])
    number = _as_number(value)
    if number is not None:
        if math.isnan(number):
            return ("null",)
        return ("num", float(f"{number:.5g}"))
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", text):
        text = text.replace("T", " ")
    return ("str", text)


def _columns_match(gold: list[Any], pred: list[Any], ordered: bool) -> bool:
    gold_keys = [_spider_key(v) for v in gold]
    pred_keys = [_spider_key(v) for v in pred]
    return gold_keys == pred_keys if ordered else Counter(gold_keys) == Counter(pred_keys)


def spider_match(gold_rows: list[list[Any]], pred_rows: list[list[Any]], ordered: bool) -> bool:
    """Every gold column must be found among the predicted ones, row for row."""
    if len(gold_rows) != len(pred_rows):
        return False
    if not gold_rows:
        return True
    gold_width, pred_width = len(gold_rows[0]), len(pred_rows[0])
    if pred_width < gold_width:
        return False
    gold_cols = [[row[j] for row in gold_rows] for j in range(gold_width)]
    pred_cols = [[row[k] for row in pred_rows] for k in range(pred_width)]
    candidates = [
        [k for k in range(pred_width) if _columns_match(gold_cols[j], pred_cols[k], ordered)]
        for j in range(gold_width)
    ]
    if any(not options for options in candidates):
        return False
    gold_keyed = [tuple(_spider_key(v) for v in row) for row in gold_rows]
    for mapping in product(*candidates):
        if len(set(mapping)) != len(mapping):
            continue
        pred_keyed = [tuple(_spider_key(row[k]) for k in mapping) for row in pred_rows]
        if ordered and pred_keyed == gold_keyed:
            return True
        if not ordered and Counter(pred_keyed) == Counter(gold_keyed):
            return True
    return False


_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def _wtq_key(value: Any) -> tuple:
    if value is None:
        return ("null",)
    number = _as_number(value)
    if number is not None:
        return ("num", float(f"{number:.6g}"))
    text = re.sub(r"\s+", " ", str(value).strip().lower())
    for fmt in _DATE_FORMATS:
        try:
            return ("date", dt.datetime.strptime(text, fmt).date().isoformat())
        except ValueError:
            continue
    return ("str", text)


def wtq_match(gold_answers: list[str], pred_rows: list[list[Any]]) -> bool:
    """The cells of the result, as a set, against the gold answers, as a set."""
    predicted = {_wtq_key(cell) for row in pred_rows for cell in row}
    return predicted == {_wtq_key(answer) for answer in gold_answers}


# --------------------------------------------------------------------------- running
@dataclass
class Outcome:
    qid: str
    question: str
    table: str
    correct: bool
    status: str  # ok | wrong | cannot | error
    sql: str = ""
    detail: str = ""
    seconds: float = 0.0
    dev: bool = True


@dataclass
class SetReport:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    def accuracy(self, which: Callable[[Outcome], bool] = lambda o: True) -> tuple[float, int]:
        chosen = [o for o in self.outcomes if which(o)]
        if not chosen:
            return 0.0, 0
        return sum(o.correct for o in chosen) / len(chosen), len(chosen)


def _is_dev(qid: str) -> bool:
    return int(qid.rsplit("-", 1)[1]) % 2 == 0


def _make_engine(name: str) -> QuestionEngine:
    if name == "builtin":
        from lumiere.llm.builtin import BuiltinEngine

        return BuiltinEngine()
    from lumiere.llm.client import client_for_user
    from lumiere.llm.engine import LlmEngine

    client = client_for_user(None)
    if client is None:
        raise SystemExit("No LLM is configured: set LUMIERE_LLM_BASE_URL / LUMIERE_LLM_API_KEY first.")
    return LlmEngine(client)


def _ask(engine: QuestionEngine, table: LoadedTable, question: str) -> tuple[str, list[list[Any]], str]:
    context = QuestionContext(dialect="duckdb", tables=[table.info], find_values=table.find_values)
    generated = engine.generate(question, context)
    rows = table.run(generated.sql)
    return generated.sql, rows, generated.explanation


def run_set(
    name: str,
    questions: Iterable[dict[str, Any]],
    engine: QuestionEngine,
    cache: TableCache,
    base: Path,
    score: Callable[[dict[str, Any], list[list[Any]]], bool],
    table_name: Callable[[dict[str, Any]], str],
) -> SetReport:
    report = SetReport(name)
    for item in questions:
        table = cache.load(base / item["table_csv"], table_name(item))
        outcome = Outcome(item["id"], item["question"], table.info.name, False, "wrong", dev=_is_dev(item["id"]))
        started = time.perf_counter()
        try:
            sql, rows, _ = _ask(engine, table, item["question"])
            outcome.sql = sql
            outcome.correct = score(item, rows)
            outcome.status = "ok" if outcome.correct else "wrong"
            if not outcome.correct:
                outcome.detail = json.dumps(rows[:3], default=str)[:200]
        except CannotAnswer as refusal:
            outcome.status, outcome.detail = "cannot", refusal.detail
        except Exception as error:  # noqa: BLE001 - a benchmark records every failure and goes on
            outcome.status, outcome.detail = "error", f"{type(error).__name__}: {error}"[:300]
        outcome.seconds = time.perf_counter() - started
        report.outcomes.append(outcome)
    return report


def _load_jsonl(path: Path, limit: int | None) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    return items[:limit] if limit else items


def print_report(report: SetReport, show_misses: int, split: str) -> None:
    overall, n = report.accuracy()
    dev, n_dev = report.accuracy(lambda o: o.dev)
    held, n_held = report.accuracy(lambda o: not o.dev)
    statuses = Counter(o.status for o in report.outcomes)
    median_ms = statistics.median(o.seconds for o in report.outcomes) * 1000 if report.outcomes else 0.0
    print(f"\n== {report.name}: execution accuracy {overall:.3f} on {n} questions")
    print(f"   dev (even ids) {dev:.3f} on {n_dev}   held-out (odd ids) {held:.3f} on {n_held}")
    print(
        f"   correct {statuses['ok']}  wrong {statuses['wrong']}  cannot answer {statuses['cannot']}"
        f"  errors {statuses['error']}   median time per answer {median_ms:.1f} ms"
    )
    if show_misses:
        chosen = [o for o in report.outcomes if not o.correct]
        if split == "dev":
            chosen = [o for o in chosen if o.dev]
        elif split == "held":
            chosen = [o for o in chosen if not o.dev]
        print(f"   misses (first {min(show_misses, len(chosen))} of {len(chosen)}):")
        for o in chosen[:show_misses]:
            print(f"   - [{o.status}] {o.qid} ({o.table}) {o.question}")
            if o.sql:
                print(f"       sql: {o.sql}")
            if o.detail:
                print(f"       got: {o.detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["builtin", "llm"], default="builtin")
    parser.add_argument("--set", dest="which", choices=["spider", "wtq", "all"], default="all")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N misses per set")
    parser.add_argument("--misses-from", choices=["all", "dev", "held"], default="all")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--cache-dir", type=Path, default=PROJECT_ROOT / "bench" / "out" / "nlq_tables")
    args = parser.parse_args(argv)

    engine = _make_engine(args.engine)
    cache = TableCache(args.cache_dir)
    print(f"engine: {args.engine}   tables loaded through: {cache.describe()}")
    reports: list[SetReport] = []
    if args.which in ("spider", "all"):
        base = args.eval_dir / "spider_single"
        reports.append(
            run_set(
                "spider_single",
                _load_jsonl(base / "questions.jsonl", args.limit),
                engine,
                cache,
                base,
                lambda item, rows: spider_match(item["gold_result"], rows, bool(item["order_matters"])),
                lambda item: item["table"],
            )
        )
    if args.which in ("wtq", "all"):
        base = args.eval_dir / "wtq"
        reports.append(
            run_set(
                "wtq",
                _load_jsonl(base / "questions.jsonl", args.limit),
                engine,
                cache,
                base,
                lambda item, rows: wtq_match(item["gold_answers"], rows),
                lambda item: "t_" + Path(item["table_csv"]).stem.replace("-", "_"),
            )
        )
    for report in reports:
        print_report(report, args.show_misses, args.misses_from)
    cache.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
