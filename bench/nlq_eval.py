"""Execution accuracy of a question engine on the public NL->SQL sets in shared/eval.

    python bench/nlq_eval.py --engine builtin --set all --show-misses 20

Each CSV is loaded once per run (cached under bench/out/), each question goes through the
engine, the SQL runs on DuckDB and the rows are compared with the gold answer the way the
eval README asks. Questions with an even number in their id form the dev split the engine was
tuned on; the odd ones are held out, so the two figures side by side show any overfitting.
The analytics set ships gold SQL instead of gold rows: it runs on the CSV as that set's README
loads it (DuckDB read_csv), apart from the ingest the engine's answer goes through.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from lumiere.config import reset_settings  # noqa: E402
from lumiere.core.engine import (  # noqa: E402
    CannotAnswer,
    ColumnInfo,
    QuestionContext,
    QuestionEngine,
    TableInfo,
    ValueMatch,
)
from lumiere.core.errors import ServiceError  # noqa: E402
from lumiere.core.semantics import ColumnMeaning, SourceSemantics  # noqa: E402
from lumiere.models import Source  # noqa: E402

SAMPLE_VALUES = 5

DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
RELATIVE_TOLERANCE = 1e-4
SPIDER_SIGNIFICANT_DIGITS = 5
ANALYTICS_SIGNIFICANT_DIGITS = 4  # the analytics README compares numbers to 4 significant digits


# --------------------------------------------------------------------------- tables
class LoadedTable:
    """One CSV ingested the way an upload is (brief A's ingest) and queried through the guarded,
    sandboxed warehouse (brief B), exactly as the app answers a question."""

    def __init__(self, csv_path: Path, table_name: str) -> None:
        from lumiere.services.ingest import ingest_csv_file, table_name_from_filename
        from lumiere.storage.datasets import path_for_key

        name = table_name_from_filename(f"{table_name}.csv")
        digest = hashlib.sha256(f"{csv_path.resolve()}|{csv_path.stat().st_mtime_ns}|{name}".encode()).hexdigest()[:32]
        storage_key = f"0/{digest}.duckdb"
        dest = path_for_key(storage_key)
        meta_file = dest.with_suffix(".json")
        if not (dest.exists() and meta_file.exists()):
            dest.parent.mkdir(parents=True, exist_ok=True)
            result = ingest_csv_file(csv_path, dest=dest, table_name=name, original_name=csv_path.name)
            meta_file.write_text(json.dumps({"row_count": result.row_count, "profile": result.profile}, default=str))
        meta = json.loads(meta_file.read_text())
        profile_columns = meta["profile"]["columns"]
        self.profile_columns: list[dict[str, Any]] = profile_columns
        self.source = Source(
            id=0,
            user_id=0,
            name=name,
            kind="csv",
            table_name=name,
            storage_key=storage_key,
            row_count=meta["row_count"],
            tables_json=[
                {
                    "name": name,
                    "row_count": meta["row_count"],
                    "columns": [{"name": c["name"], "type": c["type"]} for c in profile_columns],
                }
            ],
        )
        self.lookup_seconds = 0.0
        self.info = TableInfo(
            name=name,
            row_count=meta["row_count"],
            columns=[
                ColumnInfo(
                    name=c["name"],
                    type=c["type"],
                    kind=c["kind"],
                    samples=list(c.get("samples") or [])[:SAMPLE_VALUES],
                    distinct_count=c.get("distinct_count"),
                    null_count=c.get("null_count"),
                    min=c.get("min"),
                    max=c.get("max"),
                )
                for c in profile_columns
            ],
        )

    def find_values(self, phrases: list[str]) -> list[ValueMatch]:
        from lumiere.services.warehouse import find_values

        started = time.perf_counter()
        try:
            return find_values(self.source, phrases)
        finally:
            self.lookup_seconds += time.perf_counter() - started

    def run(self, sql: str) -> list[list[Any]]:
        from lumiere.services.warehouse import execute

        return execute(self.source, sql).rows


class TableCache:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["LUMIERE_DATA_DIR"] = str(data_dir.resolve())
        reset_settings()
        self.tables: dict[Path, LoadedTable | Exception] = {}

    @staticmethod
    def describe() -> str:
        return "lumiere.services.ingest.ingest_csv_file, then lumiere.services.warehouse (find_values, execute)"

    def load(self, csv_path: Path, table_name: str) -> LoadedTable:
        if csv_path not in self.tables:
            try:
                self.tables[csv_path] = LoadedTable(csv_path, table_name)
            except ServiceError as refused:
                self.tables[csv_path] = refused
        loaded = self.tables[csv_path]
        if isinstance(loaded, Exception):
            raise loaded
        return loaded


# --------------------------------------------------------------------------- scoring
def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        # "44.7%" in a gold answer is the number 44.7: ingest stores percent text as numbers, with
        # the unit in the semantic layer
        text = value.strip().replace(",", "").removesuffix("%").rstrip()
        if re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
            return float(text)
    return None


_BOOLEAN_TEXT = {"t": True, "true": True, "f": False, "false": False}


def _spider_key(value: Any, significant: int = SPIDER_SIGNIFICANT_DIGITS) -> tuple:
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
        return ("num", float(f"{number:.{significant}g}"))
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", text):
        text = text.replace("T", " ")
    return ("str", text)


def _columns_match(gold: list[Any], pred: list[Any], ordered: bool, significant: int) -> bool:
    gold_keys = [_spider_key(v, significant) for v in gold]
    pred_keys = [_spider_key(v, significant) for v in pred]
    return gold_keys == pred_keys if ordered else Counter(gold_keys) == Counter(pred_keys)


def spider_match(
    gold_rows: list[list[Any]],
    pred_rows: list[list[Any]],
    ordered: bool,
    significant: int = SPIDER_SIGNIFICANT_DIGITS,
) -> bool:
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
        [k for k in range(pred_width) if _columns_match(gold_cols[j], pred_cols[k], ordered, significant)]
        for j in range(gold_width)
    ]
    if any(not options for options in candidates):
        return False
    gold_keyed = [tuple(_spider_key(v, significant) for v in row) for row in gold_rows]
    for mapping in product(*candidates):
        if len(set(mapping)) != len(mapping):
            continue
        pred_keyed = [tuple(_spider_key(row[k], significant) for k in mapping) for row in pred_rows]
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
    status: str  # ok | wrong | cannot | error | unloadable
    sql: str = ""
    detail: str = ""
    seconds: float = 0.0  # question to rows: the engine (with its value lookup) and the query
    engine_seconds: float = 0.0  # the engine, its value lookup included
    lookup_seconds: float = 0.0  # the value lookup alone (a query on the data)
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
        from lumiere.nlq.engine import BuiltinEngine

        return BuiltinEngine()
    from lumiere.llm.client import client_for_user
    from lumiere.llm.engine import LlmEngine

    client = client_for_user(None)
    if client is None:
        raise SystemExit("No LLM is configured: set LUMIERE_LLM_BASE_URL / LUMIERE_LLM_API_KEY first.")
    return LlmEngine(client)


def _ask(
    engine: QuestionEngine,
    table: LoadedTable,
    question: str,
    outcome: Outcome,
    semantics: SourceSemantics | None = None,
) -> list[list[Any]]:
    context = QuestionContext(
        dialect="duckdb",
        tables=[table.info],
        find_values=table.find_values,
        semantics=semantics or SourceSemantics(),
    )
    started = time.perf_counter()
    table.lookup_seconds = 0.0
    try:
        generated = engine.generate(question, context)
    finally:
        outcome.engine_seconds = time.perf_counter() - started
        outcome.lookup_seconds = table.lookup_seconds
    outcome.sql = generated.sql
    return table.run(generated.sql)


def run_set(
    name: str,
    questions: Iterable[dict[str, Any]],
    engine: QuestionEngine,
    cache: TableCache,
    base: Path,
    score: Callable[[dict[str, Any], list[list[Any]]], bool],
    table_name: Callable[[dict[str, Any]], str],
    semantics: LayerChoice | None = None,
) -> SetReport:
    report = SetReport(name)
    for item in questions:
        outcome = Outcome(item["id"], item["question"], table_name(item), False, "wrong", dev=_is_dev(item["id"]))
        try:
            table = cache.load(base / item["table_csv"], table_name(item))
        except ServiceError as refused:
            outcome.status, outcome.detail = "unloadable", refused.detail
            report.outcomes.append(outcome)
            continue
        started = time.perf_counter()
        try:
            rows = _ask(engine, table, item["question"], outcome, _layer(semantics, item.get("table", ""), table))
            outcome.correct = score(item, rows)
            outcome.status = "ok" if outcome.correct else "wrong"
            if not outcome.correct:
                outcome.detail = json.dumps(rows[:3], default=str)[:200]
        except CannotAnswer as refusal:
            outcome.status, outcome.detail = "cannot", refusal.detail
        except Exception as error:  # a benchmark records every failure and goes on
            outcome.status, outcome.detail = "error", f"{type(error).__name__}: {error}"[:300]
        outcome.seconds = time.perf_counter() - started
        report.outcomes.append(outcome)
    return report


def _load_jsonl(path: Path, limit: int | None) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    return items[:limit] if limit else items


def _load_analytics(base: Path, limit: int | None) -> list[dict[str, Any]]:
    """The analytics questions, each given its CSV and its gold rows: the gold SQL run on the
    tables loaded with DuckDB's read_csv auto-detection, as the set's README prescribes."""
    import duckdb

    from lumiere.services.warehouse import json_safe

    items = _load_jsonl(base / "questions.jsonl", limit)
    with duckdb.connect() as con:
        for table in sorted({item["table"] for item in items}):
            csv_literal = str(base / "tables" / f"{table}.csv").replace("'", "''")
            con.execute(f"CREATE TABLE \"{table}\" AS SELECT * FROM read_csv('{csv_literal}')")
        for item in items:
            item["table_csv"] = f"tables/{item['table']}.csv"
            item["gold_result"] = [[json_safe(v) for v in row] for row in con.execute(item["sql"]).fetchall()]
    return items


_README_SECTION = re.compile(r"^###\s+`(?P<table>[^`]+)`", re.MULTILINE)
_README_ROW = re.compile(r"^\|\s*`(?P<column>[^`]+)`\s*\|[^|]*\|(?P<meaning>[^|]*)\|\s*$", re.MULTILINE)


def readme_semantics(readme: Path) -> dict[str, SourceSemantics]:
    """The per-table column notes of a set's README (`| column | DuckDB type | meaning |`), each
    meaning kept word for word as the column's description, as a user would type it in."""
    text = readme.read_text(encoding="utf-8")
    sections = list(_README_SECTION.finditer(text))
    out: dict[str, SourceSemantics] = {}
    for n, section in enumerate(sections):
        body = text[section.end() : sections[n + 1].start() if n + 1 < len(sections) else len(text)]
        body = body.split("\n## ", 1)[0]
        columns = tuple(
            ColumnMeaning(table=section["table"], column=row["column"], description=row["meaning"].strip())
            for row in _README_ROW.finditer(body)
            if row["meaning"].strip()
        )
        if columns:
            out[section["table"]] = SourceSemantics(columns=columns)
    return out


@dataclass(frozen=True)
class LayerChoice:
    """Which semantic layer the analytics questions are asked with (`--semantics`)."""

    inferred: bool = False  # what Lumiere infers from the data, as the app pre-fills it
    notes: dict[str, SourceSemantics] = field(default_factory=dict)  # the README's notes, by table


def _wanted_semantics(mode: str, readme: Path) -> LayerChoice | None:
    if mode == "none":
        return None
    notes = readme_semantics(readme) if "readme" in mode else {}
    return LayerChoice(inferred="inferred" in mode, notes=notes)


def _layer(wanted: LayerChoice | None, name: str, table: LoadedTable) -> SourceSemantics | None:
    """The layer for one table: the README's notes as descriptions, over the inferred layer when
    asked (as a user types a description over the pre-filled one)."""
    if wanted is None:
        return None
    readme = wanted.notes.get(name)
    notes = {m.column: m.description for m in readme.columns} if readme else {}
    if not wanted.inferred:
        return SourceSemantics(
            columns=tuple(
                ColumnMeaning(table=table.info.name, column=c.name, description=notes[c.name])
                for c in table.info.columns
                if c.name in notes
            )
        )
    from lumiere.services.semantics import infer_column

    inferred = [infer_column(table.info.name, str(c["name"]), c) for c in table.profile_columns]
    return SourceSemantics(columns=tuple(replace(m, description=notes.get(m.column, m.description)) for m in inferred))


def print_report(report: SetReport, show_misses: int, split: str) -> None:
    overall, n = report.accuracy()
    dev, n_dev = report.accuracy(lambda o: o.dev)
    held, n_held = report.accuracy(lambda o: not o.dev)
    statuses = Counter(o.status for o in report.outcomes)
    timed = [o for o in report.outcomes if o.status != "unloadable"]
    median_ms = statistics.median(o.seconds for o in timed) * 1000 if timed else 0.0
    engine_ms = statistics.median(o.engine_seconds for o in timed) * 1000 if timed else 0.0
    own_ms = statistics.median(o.engine_seconds - o.lookup_seconds for o in timed) * 1000 if timed else 0.0
    print(f"\n== {report.name}: execution accuracy {overall:.3f} on {n} questions")
    print(f"   dev (even ids) {dev:.3f} on {n_dev}   held-out (odd ids) {held:.3f} on {n_held}")
    wrong_share = statuses["wrong"] / n if n else 0.0
    print(
        f"   correct {statuses['ok']}  wrong {statuses['wrong']} ({wrong_share:.1%})"
        f"  cannot answer {statuses['cannot']}  errors {statuses['error']}"
    )
    print(
        f"   median time per answer {median_ms:.1f} ms; engine with its value lookup {engine_ms:.1f} ms;"
        f" engine alone {own_ms:.1f} ms"
    )
    if statuses["unloadable"]:
        print(f"   {statuses['unloadable']} questions were on CSV files the upload path refused (counted as misses)")
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


def save_outcomes(reports: list[SetReport], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for report in reports:
            for outcome in report.outcomes:
                handle.write(json.dumps({"set": report.name, **asdict(outcome)}, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["builtin", "llm"], default="builtin")
    parser.add_argument("--set", dest="which", choices=["spider", "wtq", "analytics", "all"], default="all")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N misses per set")
    parser.add_argument("--misses-from", choices=["all", "dev", "held"], default="all")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "bench" / "out" / "nlq_data")
    parser.add_argument("--save", type=Path, default=None, help="write every outcome as JSON lines, to compare runs")
    parser.add_argument(
        "--semantics",
        choices=["none", "inferred", "readme", "inferred+readme"],
        default="none",
        help="the semantic layer Lumiere infers from the data (every set), the analytics README's column"
        " notes as descriptions, or both (the notes typed over the inferred descriptions)",
    )
    args = parser.parse_args(argv)

    engine = _make_engine(args.engine)
    cache = TableCache(args.data_dir)
    print(f"engine: {args.engine}   tables loaded through: {cache.describe()}")
    reports: list[SetReport] = []
    inferred_only = LayerChoice(inferred=True) if args.semantics.startswith("inferred") else None  # no README
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
                inferred_only,
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
                inferred_only,
            )
        )
    if args.which in ("analytics", "all"):
        base = args.eval_dir / "analytics_dev"
        reports.append(
            run_set(
                "analytics_dev",
                _load_analytics(base, args.limit),
                engine,
                cache,
                base,
                lambda item, rows: spider_match(
                    item["gold_result"], rows, bool(item["ordered"]), ANALYTICS_SIGNIFICANT_DIGITS
                ),
                lambda item: item["table"],
                _wanted_semantics(args.semantics, base / "README.md"),
            )
        )
    for report in reports:
        print_report(report, args.show_misses, args.misses_from)
    if args.save:
        save_outcomes(reports, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
