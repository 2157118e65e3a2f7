"""The Data pages' state without a browser: splitting the upload stream, ingest, lists, detail, delete."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncGenerator, AsyncIterator

import plotly.data
import pytest
import reflex as rx
from sqlmodel import select

from lumiere.config import get_settings
from lumiere.core.errors import ServiceError
from lumiere.db import saved_id, session_scope
from lumiere.models import Source
from lumiere.services import sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.arguments import NOT_A_PAGE
from lumiere.state.data import DataState, _connection_params, _table_summary
from lumiere.state.data_detail import SourceDetailState, _profile_rows
from lumiere.state.data_upload import UploadState, _base_name, _FileStreams, _ingest
from lumiere.state.display import SourceRow
from tests.helpers.page_state import handler, page_state, settled


def _user(email: str):
    with session_scope() as session:
        user = register_user(session, email=email, password="correct horse", name=email.split("@")[0])
        session.expunge(user)
    return user


async def _chunk_stream(chunks: list[rx.UploadChunk]) -> AsyncIterator[rx.UploadChunk]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def _chunks(filename: str, data: bytes, size: int) -> list[rx.UploadChunk]:
    pieces = [data[start : start + size] for start in range(0, len(data), size)] or [b""]
    offsets = [sum(len(piece) for piece in pieces[:index]) for index in range(len(pieces))]
    return [
        rx.UploadChunk(filename=filename, offset=offset, content_type="text/csv", data=piece)
        for offset, piece in zip(offsets, pieces, strict=True)
    ]


def test_the_upload_stream_splits_into_files_even_with_equal_names():
    first, second, third = b"a,b\n1,2\n" * 50, b"a,b\n3,4\n" * 40, b"x\n1\n"
    stream = _FileStreams(
        _chunk_stream(_chunks("a.csv", first, 64) + _chunks("a.csv", second, 64) + _chunks("dir/b.csv", third, 3))
    )

    async def read_all() -> list[tuple[str, bytes]]:
        files: list[tuple[str, bytes]] = []
        while (name := await stream.next_file()) is not None:
            if len(files) == 1:  # a consumer that gives up early: the rest of its file is skipped
                reader = stream.file_bytes()
                await anext(reader)
                assert isinstance(reader, AsyncGenerator)
                await reader.aclose()
                files.append((name, b"(refused)"))
                continue
            files.append((name, b"".join([piece async for piece in stream.file_bytes()])))
        return files

    assert asyncio.run(read_all()) == [("a.csv", first), ("a.csv", b"(refused)"), ("dir/b.csv", third)]
    assert _base_name("dir/b.csv") == "b.csv" and _base_name("C:\\Users\\me\\c.csv") == "c.csv"


def test_ingest_streams_a_real_csv_into_a_new_source(app_db):
    user = _user("uploader@example.com")
    buffer = io.StringIO()
    plotly.data.tips().to_csv(buffer, index=False)
    data = buffer.getvalue().encode()

    async def stream() -> AsyncIterator[bytes]:
        for chunk in _chunks("tips.csv", data, 4096):
            yield chunk.data

    source = asyncio.run(_ingest(user, "tips.csv", stream()))
    assert source["table_name"] == "tips" and source["row_count"] == len(plotly.data.tips())
    assert source["kind"] == "csv" and source["column_count"] == 7

    async def empty() -> AsyncIterator[bytes]:
        yield b"a,b\n"

    with pytest.raises(ServiceError, match="no data rows"):
        asyncio.run(_ingest(user, "header_only.csv", empty()))
    with session_scope() as session:
        assert [row.name for row in session.exec(select(Source).where(Source.user_id == user.id))] == ["tips.csv"]


def test_files_the_browser_refused_get_a_reason_each(app_db):
    state = page_state(UploadState)
    state.files_rejected(
        [
            {"name": "report.pdf", "size": 2000, "codes": ["file-invalid-type"]},
            {"name": "huge.csv", "size": get_settings().max_upload_bytes + 1, "codes": ["file-too-large"]},
        ]
    )
    assert [(row.name, row.status, row.message) for row in state.uploads] == [
        ("huge.csv", "error", f"This file is larger than the {state.max_upload_label} limit."),
        ("report.pdf", "error", "Only .csv, .tsv and .txt files can be uploaded."),
    ]
    state.clear_finished()
    assert state.uploads == []


def test_sources_list_detail_profile_and_delete(app_db):
    owner = _user("owner@example.com")
    with session_scope() as session:
        source_id = saved_id(sources.load_sample_dataset(session, owner))
        profile = sources.column_profile(session, owner, source_id)
    token = issue_token(owner).access_token

    listing = page_state(DataState, token)
    settled(listing.load())
    assert listing.source_list == [
        SourceRow(
            id=str(source_id),
            name="gapminder",
            kind="CSV",
            rows="1,704",
            columns="8",
            size=listing.source_list[0].size,
            created=listing.source_list[0].created,
        )
    ]
    assert listing.source_list[0].created.endswith("UTC")

    detail = page_state(SourceDetailState, token, f"/data/{source_id}")
    events = settled(detail.load())
    assert detail.found and detail.detail_name == "gapminder" and len(events) == 3
    assert [column.name for column in detail.detail_tables[0].columns][:3] == ["country", "continent", "year"]
    assert all(item.href.startswith(f"/query?source={source_id}&q=") for item in detail.detail_suggestions)
    assert any("UTF-8" in note for note in detail.detail_notes)

    by_column = {row.column: row for row in _profile_rows(profile)}
    assert by_column["continent"].summary.startswith("Top: Africa (624), Asia (396)")
    assert by_column["year"].summary == "min 1952 · max 2007 · mean 1979.5"
    assert by_column["country"].distinct == "142"

    detail.ask_delete()
    assert detail.confirming_delete
    outcome = settled(detail.confirm_delete())
    assert "/data" in str(outcome[-1])
    with session_scope() as session:
        assert session.get(Source, source_id) is None


def test_another_users_source_is_not_found(app_db):
    owner, intruder = _user("first@example.com"), _user("second@example.com")
    with session_scope() as session:
        source_id = sources.load_sample_dataset(session, owner).id
    detail = page_state(SourceDetailState, issue_token(intruder).access_token, f"/data/{source_id}")
    assert settled(detail.load()) is None
    assert detail.loaded and not detail.found
    assert detail.detail_name == "" and detail.detail_tables == [] and detail.detail_suggestions == []


def test_connection_form_fields_and_table_summaries():
    params = _connection_params(
        {
            "host": " db.example.com ",
            "port": "6543",
            "database": "sales",
            "user": "reader",
            "password": " pw ",
            "schema": "",
        },
        "postgresql",
    )
    assert params == {
        "kind": "postgresql",
        "host": "db.example.com",
        "port": 6543,
        "database": "sales",
        "user": "reader",
        "password": " pw ",
        "schema": None,
    }
    assert (
        _table_summary({"name": "orders", "row_count": 12000, "columns": [{}, {}, {}]})
        == "orders (3 columns, 12,000 rows)"
    )
    assert _table_summary({"name": "v", "row_count": None, "columns": [{}]}) == "v (1 column)"


def test_the_data_pages_check_what_the_browser_sends(app_db):
    owner = _user("checker@example.com")
    with session_scope() as session:
        source_id = sources.load_sample_dataset(session, owner).id
    token = issue_token(owner).access_token

    upload = page_state(UploadState, token, "/data/upload")
    upload.files_rejected("not a list")
    upload.files_rejected([None, "x", {"name": ["a.csv"], "size": "huge", "codes": "file-too-large"}])
    assert [(row.name, row.size, row.status) for row in upload.uploads] == [("file", 0, "error")]

    detail = page_state(SourceDetailState, token, f"/data/{source_id}")
    settled(detail.load())
    assert NOT_A_PAGE in str(settled(handler(SourceDetailState.load_preview)(detail, "next")))
    settled(handler(SourceDetailState.load_preview)(detail, -50))  # before the first row: the first page
    assert detail.preview_offset == 0 and len(detail.preview_rows) == 25 and detail.preview_error == ""

    for path in ("/data/abc", "/data/0", f"/data/{'9' * 40}"):
        missing = page_state(SourceDetailState, token, path)
        assert settled(missing.load()) is None and missing.loaded and not missing.found

    listing = page_state(DataState, token, "/data")
    listing.set_connect_kind(["postgresql"])
    listing.set_connect_open("yes")
    assert listing.connect_kind == "postgresql" and listing.connect_open is False
    assert _connection_params("not a form", "mysql")["host"] == ""  # type: ignore[arg-type]  # a non-form is refused


def test_an_empty_connection_form_says_which_fields_to_fill(app_db):
    token = issue_token(_user("empty-connect@example.com")).access_token
    state = page_state(DataState, token)
    settled(state.set_connect_intent("test"))
    assert settled(handler(DataState.submit_connection)(state, {"host": " ", "port": "", "password": ""})) is None
    assert state.connect_missing == ["host", "port", "database", "user"] and not state.connect_busy
