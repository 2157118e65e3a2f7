"""The built-in engine's per-dataset index is kept under the dataset key: a repeated question reuses
it (and its table words), and the key changes with the data and with the semantic layer."""

from __future__ import annotations

from lumiere.core.engine import ColumnInfo, TableInfo
from lumiere.core.semantics import ColumnMeaning
from lumiere.db import saved_id, session_scope
from lumiere.models import Source
from lumiere.nlq.schema import clear_schema_indexes, schema_index
from lumiere.nlq.semantic_words import table_words
from lumiere.services import ask, sources
from lumiere.services.auth import register_user

TABLE = TableInfo(name="trips", row_count=3, columns=[
    ColumnInfo(name="fare", type="DOUBLE", kind="number"), ColumnInfo(name="city", type="VARCHAR", kind="text"),
])
MEANINGS = (ColumnMeaning(table="trips", column="fare", synonyms=("price",)),)


def test_an_index_is_kept_per_dataset_key_with_its_table_words() -> None:
    clear_schema_indexes()
    first = schema_index(TABLE, MEANINGS, "1:v1")
    words = table_words(first)
    assert schema_index(TABLE, MEANINGS, "1:v1") is first and table_words(first) is words
    assert schema_index(TABLE, MEANINGS, "1:v2") is not first  # another version of the data
    assert schema_index(TABLE, MEANINGS, None) is not schema_index(TABLE, MEANINGS, None)  # no key: nothing kept


def test_the_dataset_key_follows_the_data_and_the_semantic_layer(app_db) -> None:
    with session_scope() as session:
        user = register_user(session, email="keys@example.com", password="correct horse", name="Keys")
        source = sources.load_sample_dataset(session, user)
        key = ask.build_context(session, user, source).dataset_key
        assert key is not None and key.startswith(f"{saved_id(source)}:")
        assert ask.build_context(session, user, source).dataset_key == key
        source.semantics_json = {"gapminder": {"pop": {"description": "people"}}}
        assert ask.build_context(session, user, source).dataset_key not in (None, key)
        other = session.get(Source, saved_id(sources.load_sample_dataset(session, user)))
        assert other is not None and ask.build_context(session, user, other).dataset_key != key
