"""The sources service on both app databases: uploads as immutable dataset files, names, reading,
profiles, deleting, the sample dataset, and files that follow the transaction."""

from __future__ import annotations

import asyncio
import os
import stat

import duckdb
import plotly.data
import pytest
from sqlmodel import select

from lumiere.core.errors import Invalid, NotFound, UnsupportedMedia
from lumiere.db import saved_id, session_scope
from lumiere.models import Query, Source
from lumiere.services import sources
from lumiere.services.auth import register_user
from lumiere.storage.datasets import dataset_path


@pytest.fixture
def users(db_session):
    first = register_user(db_session, email="s1@example.com", password="password-1", name="One")
    second = register_user(db_session, email="s2@example.com", password="password-2", name="Two")
    db_session.commit()
    return first, second


async def _chunks(data: bytes, size: int = 8192):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def upload(session, user, filename: str, data: bytes, name: str | None = None) -> Source:
    return asyncio.run(sources.ingest_upload(session, user, filename=filename, chunks=_chunks(data), name=name))


def tips_csv() -> bytes:
    return plotly.data.tips().to_csv(index=False).encode()


def dataset_files(data_dir) -> list[str]:
    root = data_dir / "datasets"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def staged_files(data_dir) -> list[str]:
    root = data_dir / "tmp"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_upload_becomes_one_read_only_duckdb_file_and_a_row(db_session, users, data_dir):
    user = users[0]
    source = upload(db_session, user, "tips.csv", tips_csv())
    db_session.commit()
    path = dataset_path(source)
    assert path.is_file() and path.parent.parent == data_dir / "datasets"
    assert path.parent.name == str(user.id)
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222  # nobody writes to a published dataset
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*), round(sum(tip), 2) FROM tips").fetchone() == (244, 731.58)
    assert (source.kind, source.name, source.table_name, source.row_count, source.column_count) == (
        "csv", "tips.csv", "tips", 244, 7)
    assert source.size_bytes == path.stat().st_size
    assert source.details_json["filename"] == "tips.csv"
    assert staged_files(data_dir) == []


def test_table_names_are_unique_per_user_and_never_reserved(db_session, users):
    first, second = users
    names = [upload(db_session, first, "tips.csv", tips_csv()).table_name for _ in range(3)]
    assert names == ["tips", "tips_2", "tips_3"]
    assert upload(db_session, second, "tips.csv", tips_csv()).table_name == "tips"
    assert upload(db_session, first, "select.csv", b"a,b\n1,2\n").table_name == "select_data"
    assert upload(db_session, first, "TIPS.csv", tips_csv()).table_name == "tips_4"


def test_the_display_name_can_be_given(db_session, users):
    source = upload(db_session, users[0], "tips.csv", tips_csv(), name="  Restaurant   tips  ")
    assert source.name == "Restaurant tips"
    with pytest.raises(Invalid):
        upload(db_session, users[0], "tips.csv", tips_csv(), name="x" * 201)


def test_public_shape_and_detail(db_session, users):
    source = upload(db_session, users[0], "tips.csv", tips_csv())
    body = sources.public_source(source)
    assert set(body) >= {"id", "name", "kind", "tables", "row_count", "column_count", "size_bytes", "created_at"}
    assert body["tables"][0]["name"] == "tips" and body["tables"][0]["row_count"] == 244
    assert body["tables"][0]["columns"][0] == {"name": "total_bill", "type": "DOUBLE", "kind": "number"}
    assert body["created_at"].endswith("Z")
    assert "storage_key" not in body and "profile" not in body
    detail = sources.public_source(source, detail=True)
    assert detail["details"]["delimiter"] == "comma"
    assert detail["profile"]["tables"][0]["columns"][2]["top_values"][0] == {"value": "Male", "count": 157}
    assert detail["suggested_questions"] and all(isinstance(q, str) for q in detail["suggested_questions"])


def test_list_get_and_isolation(db_session, users):
    first, second = users
    older = upload(db_session, first, "tips.csv", tips_csv())
    newer = upload(db_session, first, "iris.csv", plotly.data.iris().to_csv(index=False).encode())
    theirs = upload(db_session, second, "tips.csv", tips_csv())
    assert [s.id for s in sources.list_sources(db_session, first)] == [newer.id, older.id]
    assert sources.get_source(db_session, first, saved_id(older)).id == older.id
    with pytest.raises(NotFound):
        sources.get_source(db_session, first, saved_id(theirs))
    with pytest.raises(NotFound):
        sources.preview(db_session, first, saved_id(theirs))
    with pytest.raises(NotFound):
        sources.column_profile(db_session, first, saved_id(theirs))
    with pytest.raises(NotFound):
        sources.delete_source(db_session, first, saved_id(theirs))
    with pytest.raises(NotFound):
        sources.get_source(db_session, first, 10**9)
    assert dataset_path(theirs).is_file()


def test_preview_pages_through_the_rows_in_file_order(db_session, users):
    frame = plotly.data.tips()
    source = upload(db_session, users[0], "tips.csv", tips_csv())
    page = sources.preview(db_session, users[0], saved_id(source), limit=5, offset=100)
    assert page.total == 244
    assert [c.name for c in page.columns] == list(frame.columns)
    frame["smoker"] = frame["smoker"] == "Yes"  # DuckDB reads Yes/No as a boolean
    assert page.rows == [[*row] for row in frame.iloc[100:105].itertuples(index=False)]
    last = sources.preview(db_session, users[0], saved_id(source), limit=100, offset=200)
    assert len(last.rows) == 44
    with pytest.raises(Invalid):
        sources.preview(db_session, users[0], saved_id(source), limit=0)
    with pytest.raises(Invalid):
        sources.preview(db_session, users[0], saved_id(source), limit=5, offset=-1)


def test_column_profile_and_table_infos(db_session, users):
    frame = plotly.data.gapminder()
    source = upload(db_session, users[0], "gapminder.csv", frame.to_csv(index=False).encode())
    profile = sources.column_profile(db_session, users[0], saved_id(source))
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["country"]["distinct_count"] == frame.country.nunique() == 142
    africa = int((frame.continent == "Africa").sum())
    assert columns["continent"]["top_values"][0] == {"value": "Africa", "count": africa}
    assert (columns["year"]["min"], columns["year"]["max"]) == (1952, 2007)
    assert columns["lifeExp"]["mean"] == pytest.approx(frame.lifeExp.mean())
    [table] = sources.table_infos(source)
    assert table.name == "gapminder" and table.row_count == 1704
    by_name = {c.name: c for c in table.columns}
    assert by_name["continent"].kind == "text" and by_name["continent"].distinct_count == 5
    assert 0 < len(by_name["continent"].samples) <= 5 and "Africa" in by_name["continent"].samples
    assert by_name["pop"].kind == "integer" and by_name["pop"].min == int(frame["pop"].min())
    assert all(len(c.samples) <= 5 for c in table.columns)


def test_delete_removes_file_and_row_once_committed_and_history_stays(db_session, users, data_dir):
    user = users[0]
    source = upload(db_session, user, "tips.csv", tips_csv())
    db_session.add(Query(user_id=user.id, source_id=source.id, source_name=source.name, question="How many?",
                         sql="SELECT COUNT(*) FROM tips"))
    db_session.commit()
    path = dataset_path(source)
    sources.delete_source(db_session, user, saved_id(source))
    assert path.exists()  # not before the deletion is committed
    db_session.commit()
    assert not path.exists()
    assert db_session.exec(select(Source).where(Source.user_id == user.id)).all() == []
    kept = db_session.exec(select(Query).where(Query.user_id == user.id)).one()
    assert kept.source_id == source.id and kept.question == "How many?"
    assert dataset_files(data_dir) == []


def test_a_rolled_back_upload_leaves_no_file(app_db, users, data_dir):
    with pytest.raises(RuntimeError), session_scope() as session:
        upload(session, users[0], "tips.csv", tips_csv())
        assert len(dataset_files(data_dir)) == 1
        raise RuntimeError("the request failed after the ingest")
    assert dataset_files(data_dir) == []
    with session_scope() as session:
        assert session.exec(select(Source)).all() == []


def test_a_rolled_back_delete_keeps_the_file(app_db, users, data_dir):
    with session_scope() as session:
        source_id = saved_id(upload(session, users[0], "tips.csv", tips_csv()))
    with pytest.raises(RuntimeError), session_scope() as session:
        sources.delete_source(session, users[0], source_id)
        raise RuntimeError("rolled back")
    with session_scope() as session:
        assert dataset_path(sources.get_source(session, users[0], source_id)).is_file()


def test_a_refused_upload_leaves_nothing(db_session, users, data_dir):
    with pytest.raises(UnsupportedMedia):
        upload(db_session, users[0], "fake.csv", b"PAR1" + os.urandom(5000))
    with pytest.raises(Invalid):
        upload(db_session, users[0], "header.csv", b"a,b,c\n")
    assert dataset_files(data_dir) == [] and staged_files(data_dir) == []
    assert db_session.exec(select(Source)).all() == []


def test_sample_dataset_is_gapminder_loaded_like_an_upload(db_session, users, data_dir):
    source = sources.load_sample_dataset(db_session, users[0])
    frame = plotly.data.gapminder()
    assert (source.name, source.table_name, source.row_count, source.column_count) == ("gapminder", "gapminder",
                                                                                        len(frame), 8)
    assert source.details_json["filename"] == "gapminder.csv"
    types = {c["name"]: c["type"] for c in source.tables_json[0]["columns"]}
    assert types == {"country": "VARCHAR", "continent": "VARCHAR", "year": "BIGINT", "lifeExp": "DOUBLE",
                     "pop": "BIGINT", "gdpPercap": "DOUBLE", "iso_alpha": "VARCHAR", "iso_num": "BIGINT"}
    assert sources.load_sample_dataset(db_session, users[0]).table_name == "gapminder_2"
    assert staged_files(data_dir) == []
