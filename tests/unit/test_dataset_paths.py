"""Storage keys name files inside the datasets folder only, whatever a database row says."""

from __future__ import annotations

import pytest

from lumiere.config import get_settings
from lumiere.storage.datasets import new_storage_key, path_for_key


def test_a_new_key_names_a_file_in_its_users_folder() -> None:
    key = new_storage_key(42)
    path = path_for_key(key)
    assert path.parent.parent == get_settings().datasets_dir.resolve()
    assert path.parent.name == "42" and path.suffix == ".duckdb"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../1/" + "a" * 32 + ".duckdb",
        "1/../../" + "a" * 26 + ".duckdb",
        "/etc/" + "a" * 32 + ".duckdb",
        "1/" + "a" * 32 + ".csv",
        "1/" + "A" * 32 + ".duckdb",
        "1/2/" + "a" * 32 + ".duckdb",
        "x/" + "a" * 32 + ".duckdb",
        "1/" + "a" * 32 + ".duckdb\n",
    ],
)
def test_a_key_of_any_other_shape_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid dataset storage key"):
        path_for_key(key)
