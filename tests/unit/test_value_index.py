"""The word-to-value index built at ingest: find_values answers from it exactly what the scan answered.

Every dataset here goes through the real ingest; its twin without the index (the same file with the
index schema dropped, as an upload from before the index) takes the former scan path.
"""

from __future__ import annotations

import random
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import plotly.data
import pytest

from lumiere.config import get_settings, reset_settings
from lumiere.models import Source
from lumiere.services import value_index, warehouse
from lumiere.services.ingest import ingest_csv_file, rename_table
from lumiere.services.sqlguard import SqlRefused
from lumiere.storage.datasets import dataset_path


@pytest.fixture
def settings_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LUMIERE_{name.upper()}", str(value))
        reset_settings()

    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    value_index.clear_cache()
    yield apply
    reset_settings()
    value_index.clear_cache()


def uploaded(frame: pd.DataFrame, table: str, *, rename_to: str | None = None) -> tuple[Source, dict]:
    """`frame` as a CSV through the real ingest, placed where uploads live; (source, ingest details)."""
    work = get_settings().data_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"{table}.csv"
    frame.to_csv(csv, index=False)
    dest = work / f"{secrets.token_hex(4)}.duckdb"
    result = ingest_csv_file(csv, dest=dest, table_name=table)
    if rename_to:
        rename_table(dest, table, rename_to)
        table = rename_to
    source = Source(user_id=1, name=table, kind="csv", table_name=table,
                    storage_key=f"1/{secrets.token_hex(16)}.duckdb")
    path = dataset_path(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(dest, path)
    source.tables_json = [{"name": table, "row_count": result.row_count, "columns": result.columns}]
    return source, result.details


def without_index(source: Source) -> Source:
    """The same data as an upload from before the index: its file with the index schema dropped."""
    twin = Source(user_id=1, name=source.name, kind="csv", table_name=source.table_name,
                  storage_key=f"1/{secrets.token_hex(16)}.duckdb", tables_json=source.tables_json)
    shutil.copyfile(dataset_path(source), dataset_path(twin))
    with duckdb.connect(str(dataset_path(twin))) as con:
        con.execute(f"DROP SCHEMA {value_index.INDEX_SCHEMA} CASCADE")
        con.execute("CHECKPOINT")
    return twin


def found(matches) -> list[tuple[str, str, str, str]]:
    return sorted((match.table, match.column, match.value, match.phrase) for match in matches)


def phrase_sets(frame: pd.DataFrame, columns: list[str], seed: int = 7) -> list[list[str]]:
    """Questions' words: stored values in other cases and with spaces, words that are not values,
    numbers, duplicates, and mixes of them."""
    rng = random.Random(seed)
    values = sorted({str(value) for column in columns for value in frame[column].dropna().unique()})
    variants = [value.upper() for value in values] + [f" {value.lower()} " for value in values]
    noise = ["Atlantis", "2007", "average", "dinner party", "", "x" * 300, "') OR 1=1 --", "the", "of"]
    sets = [values[:40], variants[:40], noise, ["france", "France", "FRANCE"]]
    sets.extend(rng.sample(values, 5) + rng.sample(variants, 3) + rng.sample(noise, 2) for _ in range(25))
    return sets


def assert_same_answers(indexed: Source, scanned: Source, phrases: list[str], limit: int = 50) -> None:
    new = warehouse.find_values(indexed, phrases, limit=limit)
    old = warehouse.find_values(scanned, phrases, limit=limit)
    if len(old) < limit:
        assert found(new) == found(old), phrases
    else:  # cut at the limit: the scan's rows come in no set order, so compare what is kept
        everything = found(warehouse.find_values(scanned, phrases, limit=10_000))
        assert len(new) == len(old) == limit and set(found(new)) <= set(everything)


def test_gapminder_answers_are_identical_with_and_without_the_index(settings_env):
    frame = plotly.data.gapminder()
    source, details = uploaded(frame, "gapminder")
    assert details["value_index"]["indexed_columns"] == ["country", "continent", "iso_alpha"]
    assert details["value_index"]["values"] == frame.country.nunique() + frame.continent.nunique() + \
        frame.iso_alpha.nunique()
    scanned = without_index(source)
    assert value_index.load_value_index(dataset_path(scanned)) is None
    for phrases in phrase_sets(frame, ["country", "continent", "iso_alpha"]):
        assert_same_answers(source, scanned, phrases)
    countries = list(frame.country.unique()[:30])
    assert_same_answers(source, scanned, countries, limit=7)
    assert len(warehouse.find_values(source, countries)) == 30


def test_tips_and_stored_values_with_odd_case_and_spaces(settings_env):
    tips = plotly.data.tips()
    source, _ = uploaded(tips, "tips")
    scanned = without_index(source)
    for phrases in phrase_sets(tips, ["sex", "day", "time"]):
        assert_same_answers(source, scanned, phrases)
    trips = pd.DataFrame({
        "country": [" France", "France ", "france", "  Spain  ", "Peru", "New  Zealand", " France", "Chile"],
        "visits": [1, 2, 3, 4, 5, 6, 7, 8],
    })
    source, _ = uploaded(trips, "trips")
    matches = warehouse.find_values(source, ["FRANCE", "spain", " peru ", "new zealand", "chil"])
    assert found(matches) == found(warehouse.find_values(without_index(source), ["FRANCE", "spain", " peru ",
                                                                                   "new zealand", "chil"]))
    assert sorted((match.value, match.phrase) for match in matches) == [
        ("  Spain  ", "spain"), (" France", "FRANCE"), ("France ", "FRANCE"), ("Peru", " peru "),
        ("france", "FRANCE"),
    ]


def test_columns_with_too_many_distinct_values_are_scanned_instead(settings_env):
    settings_env(value_index_max_distinct=100)
    frame = plotly.data.gapminder()
    source, details = uploaded(frame, "gapminder")
    assert details["value_index"]["indexed_columns"] == ["continent"]
    assert details["value_index"]["skipped_columns"] == ["country", "iso_alpha"]  # 142 distinct each
    scanned = without_index(source)
    for phrases in phrase_sets(frame, ["country", "continent", "iso_alpha"], seed=11):
        assert_same_answers(source, scanned, phrases)


def test_distinct_values_of_a_column_for_the_semantic_layer(settings_env):
    """values_of lists every distinct value of an indexed column (the semantic layer reads value
    meanings from it) and None for a column left out, so the caller falls back to the profile."""
    settings_env(value_index_max_distinct=100)
    frame = plotly.data.gapminder()
    source, _ = uploaded(frame, "gapminder")
    index = value_index.load_value_index(dataset_path(source))
    assert index is not None
    assert index.values_of("continent") == tuple(sorted(frame.continent.unique()))
    assert index.values_of("country") is None and index.values_of("year") is None
    # and with no index at all (an older upload) there is nothing to read
    assert value_index.load_value_index(dataset_path(without_index(source))) is None


def test_the_index_covers_the_whole_table_where_the_scan_is_bounded(settings_env):
    frame = pd.DataFrame({"i": range(5000), "label": ["Common"] * 4999 + ["Rare"]})
    source, _ = uploaded(frame, "events")
    settings_env(value_search_rows=1000)
    # The scan stops at the first 1,000 rows; the index was built over all of them.
    assert [match.value for match in warehouse.find_values(without_index(source), ["rare", "common"])] == ["Common"]
    assert sorted(match.value for match in warehouse.find_values(source, ["rare", "common"])) == ["Common", "Rare"]


def test_long_values_stay_out_and_a_renamed_table_keeps_its_index(settings_env):
    frame = pd.DataFrame({"city": ["Lyon", "Oslo", "Lima"], "story": ["x" * 500, "short tale", "y" * 401]})
    source, details = uploaded(frame, "places", rename_to="places_2")
    assert details["value_index"]["values"] == 4  # three cities and the one story short enough to be asked
    index = value_index.load_value_index(dataset_path(source))
    assert index is not None and index.indexed == {"city", "story"}
    assert {(m.table, m.column, m.value) for m in warehouse.find_values(source, ["lyon", "Short Tale", "x" * 200])} \
        == {("places_2", "city", "Lyon"), ("places_2", "story", "short tale")}


def test_queries_cannot_read_the_index(settings_env):
    source, _ = uploaded(plotly.data.tips(), "tips")
    for sql in (
        "SELECT * FROM lumiere_index.text_values", "SELECT column_name FROM lumiere_index.columns",
        'SELECT * FROM "lumiere_index"."text_values"', "SELECT * FROM dataset.lumiere_index.text_values",
        "SELECT * FROM tips WHERE sex IN (SELECT value FROM lumiere_index.text_values)",
        "SELECT * FROM duckdb_tables()", "SELECT * FROM information_schema.tables",
    ):
        with pytest.raises(SqlRefused):
            warehouse.execute(source, sql)
    assert warehouse.execute(source, "SELECT count(*) FROM tips").rows == [[244]]
