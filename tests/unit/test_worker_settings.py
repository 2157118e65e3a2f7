"""The query workers' OS memory limit comes from DuckDB's limit, written the way DuckDB reads sizes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lumiere.config import Settings, byte_count


@pytest.mark.parametrize(
    ("size", "expected"),
    [("1GB", 10**9), ("300MB", 300 * 10**6), ("512MiB", 512 * 2**20), ("1.5 GB", 15 * 10**8), ("2gib", 2 * 2**30),
     ("1000", 1000)],
)
def test_sizes_read_as_duckdb_reads_them(size, expected):
    assert byte_count(size) == expected


def test_the_worker_limit_is_duckdbs_plus_the_overhead():
    settings = Settings(duckdb_memory_limit="1GB", query_worker_overhead_mb=256, max_result_mb=64)
    assert settings.query_worker_memory_bytes == 10**9 + 256 * 2**20
    assert settings.max_result_bytes == 64 * 2**20


@pytest.mark.parametrize("size", ["lots", "80%", "1 GBs", ""])
def test_a_memory_limit_the_worker_cannot_size_is_refused_at_start(size):
    with pytest.raises(ValidationError):
        Settings(duckdb_memory_limit=size)
