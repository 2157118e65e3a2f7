"""The Ask page's state without a browser: URL handling, answers, errors, the result table."""

from __future__ import annotations

import plotly.data
import pytest

from lumiere import routes
from lumiere.core.engine import CannotAnswer
from lumiere.core.errors import LimitReached, Timeout
from lumiere.core.resultset import ResultColumn
from lumiere.db import saved_id, session_scope
from lumiere.services import ask, sources
from lumiere.services.ask import open_history_entry
from lumiere.services.auth import issue_token, register_user
from lumiere.state.arguments import INVALID_LINK, NOT_A_PAGE
from lumiere.state.chart import NOT_A_COLUMN
from lumiere.state.query import QueryState, _as_id
from lumiere.state.result_table import format_cell, sorted_rows
from lumiere.state.service_calls import Failed
from tests.helpers.page_state import handler, page_state, settled

QUESTION = "How many rows are there for each continent?"


def _handler_names(events) -> list[str]:
    return [getattr(getattr(event, "handler", event), "fn", event).__name__ for event in events]


@pytest.fixture
def owner(app_db):
    """A user with the sample dataset loaded twice (two sources), and a token for the state."""
    with session_scope() as session:
        user = register_user(session, email="asker@example.com", password="correct horse", name="Asker")
        first = sources.load_sample_dataset(session, user).id
        second = sources.load_sample_dataset(session, user).id
        session.expunge(user)
    return user, first, second, issue_token(user).access_token


def test_load_prefers_the_url_source_then_the_last_used_one(owner):
    _, first, second, token = owner
    state = page_state(QueryState, token, f"/query?source={second}")
    state.last_source = str(first)
    events = settled(state.load())
    assert state.selected_source == str(second)
    assert {option.id for option in state.source_options} == {str(first), str(second)}
    assert _handler_names(events) == ["load_suggestions"]

    state = page_state(QueryState, token, "/query")
    state.last_source = str(first)
    settled(state.load())
    assert state.selected_source == str(first)

    state = page_state(QueryState, token, "/query?source=999999")  # not the user's: falls back, no error
    settled(state.load())
    assert state.selected_source in (str(first), str(second))


def test_load_with_a_question_asks_it_and_history_links_open_entries(owner):
    _, first, _, token = owner
    state = page_state(QueryState, token, f"/query?source={first}&q=How+many+rows")
    assert _handler_names(settled(state.load())) == ["load_suggestions", "ask"]
    assert state.question == "How many rows"

    state = page_state(QueryState, token, "/query?query=42")
    assert _handler_names(settled(state.load())) == ["load_suggestions", "open_entry"]
    state = page_state(QueryState, token, "/query?rerun=7")
    assert _handler_names(settled(state.load())) == ["load_suggestions", "rerun"]


def test_load_without_a_valid_token_sends_to_login(app_db):
    state = page_state(QueryState, "forged.token.value", "/query")
    redirect = settled(state.load())
    assert state.source_options == []
    assert "/login?next=/query" in str(redirect)


def test_an_answer_fills_table_chart_and_insight_slot(owner):
    user, first, _, token = owner
    with session_scope() as session:
        payload = ask.public_answer(ask.ask_question(session, user, source_id=first, question=QUESTION))
    state = page_state(QueryState, token)
    settled(state.load())
    state.selected_source = str(first)
    state._show_answer(payload)

    expected = plotly.data.gapminder().groupby("continent").size()
    shown = {tuple(row) for row in state.page_rows}
    names = [column.name for column in state.result_columns]
    continent, count = names.index("continent"), names.index("count")
    assert {(row[continent], row[count]) for row in shown} == {(name, str(n)) for name, n in expected.items()}
    assert state.has_answer and "GROUP BY" in state.answer_sql
    assert state.answer_source_name == "gapminder"
    assert state.chart_type == "bar" and state.chart_figure["data"]
    assert state.chart_columns == names
    assert state.insight_query_id == payload.query_id and state.insight_busy


def test_the_answer_says_who_wrote_its_sql(owner):
    user, first, _, token = owner
    with session_scope() as session:
        asked = ask.public_answer(ask.ask_question(session, user, source_id=first, question=QUESTION))
        written = ask.public_answer(ask.run_sql(session, user, source_id=first, sql="SELECT 1 AS one"))
    state = page_state(QueryState, token, "/query")
    settled(state.load())
    state.selected_source = str(first)
    state._show_answer(asked)
    assert state.answer_engine == "Built-in engine"
    state._show_answer(written)
    assert state.answer_engine == "Your SQL"


def test_errors_carry_a_hint_and_clickable_suggestions(app_db):
    state = page_state(QueryState)
    state._finish_with_error(CannotAnswer("I could not place 'zzz'.", ["How many rows are there?"]), sql="")
    assert state.error_message == "I could not place 'zzz'."
    assert state.error_suggestions == ["How many rows are there?"]
    assert state.refused and state.error_hint == ""  # neutral, and the suggestions are shown once (as buttons)
    assert not state.asking and not state.has_answer

    state._finish_with_error(Timeout("The query ran longer than 30 s."), sql="SELECT 1")
    assert state.failed_sql == "SELECT 1" and state.error_suggestions == []
    assert "fewer rows" in state.error_hint and not state.refused
    assert not state.limit_reached


def test_a_plan_limit_shows_its_message_with_the_way_to_more(app_db):
    state = page_state(QueryState)
    limit = LimitReached(
        "You have used all 1,000 queries of the Free plan this month.", limit=1000, used=1000, plan="free"
    )
    state._finish_with_error(limit, sql="")
    assert state.error_message.startswith("You have used all")
    assert state.limit_reached and "plan" in state.error_hint
    event = Failed.of(limit).event
    assert "See plans" in str(event) and routes.SETTINGS_PLAN in str(event)
    state._finish_with_error(Timeout("slow"), sql="")
    assert not state.limit_reached


def test_opening_a_history_entry_reads_its_rows_again_until_the_source_goes(owner):
    user, first, _, _ = owner
    with session_scope() as session:
        query_id = saved_id(ask.ask_question(session, user, source_id=first, question=QUESTION).query)
    with session_scope() as session:
        opened = open_history_entry(session, user, query_id)
    assert opened.entry.source_exists is True
    assert opened.answer is not None and opened.answer.row_count == 5
    assert opened.answer.chart is not None and opened.answer.chart["type"] == "bar"

    with session_scope() as session:
        sources.delete_source(session, user, first)
    with session_scope() as session:
        opened = open_history_entry(session, user, query_id)
    assert opened.entry.source_exists is False
    assert opened.entry.question == QUESTION
    assert opened.answer is None and opened.error is None


def test_sorting_cycles_and_paging_over_real_rows(app_db):
    frame = plotly.data.gapminder().head(60)
    rows = [[row.country, int(row.year), float(row.lifeExp)] for row in frame.itertuples()]
    rows[3][2] = None
    state = page_state(QueryState)
    columns = [
        ResultColumn(name="country", type="VARCHAR", kind="text"),
        ResultColumn(name="year", type="BIGINT", kind="integer"),
        ResultColumn(name="lifeExp", type="DOUBLE", kind="number"),
    ]
    state._show_result(columns, rows, len(rows), False, 12)
    assert state.table_page_count == 3 and state.shown_rows_label == "Rows 1-25 of 60"
    assert state.row_count_label == "60 rows"
    assert state.numeric_columns == [False, True, True]

    state.sort_by(2)
    assert state.page_rows[0][2] == format_cell(frame.lifeExp.drop(frame.index[3]).min())
    state.sort_by(2)
    assert state.page_rows[0][2] == format_cell(frame.lifeExp.drop(frame.index[3]).max())
    state.go_to_table_page(99)
    assert state.table_page == 3 and state.page_rows[-1][2] == "NULL"  # NULLs last either way
    state.sort_by(2)
    assert state.sort_column == -1 and state.table_page == 1
    assert state.page_rows[0] == [format_cell(value) for value in rows[0]]

    state.set_table_page_size("100")
    assert state.table_page_count == 1 and len(state.page_rows) == 60
    state.set_table_page_size("7")  # not an offered size: ignored
    assert state.table_page_size == "100"

    for column in ("lifeExp", 3, -1, None, [2]):
        assert "column" in str(state.sort_by(column))
    assert NOT_A_PAGE in str(state.go_to_table_page("last"))
    state.set_table_page_size(["100"])
    assert (state.sort_column, state.table_page, state.table_page_size) == (-1, 1, "100")


def test_the_ask_page_checks_what_the_browser_sends(owner):
    _, first, _, token = owner
    state = page_state(QueryState, token, f"/query?source={first}")
    settled(state.load())
    for bad in ("abc", 0, -4, "1.5", None):
        assert INVALID_LINK in str(settled(handler(QueryState.rerun)(state, bad)))
        assert INVALID_LINK in str(settled(handler(QueryState.open_entry)(state, bad)))
    assert not state.asking and state.error_message == ""

    state.set_question("q" * 5000)
    assert len(state.question) == ask.MAX_QUESTION_CHARS
    state.set_sql_draft(12)
    assert state.sql_draft == ""
    state.submit_question("not a form")
    assert len(state.question) == ask.MAX_QUESTION_CHARS
    assert state.choose_source(["1"]) is None and state.choose_source("999999") is None
    assert state.selected_source == str(first)

    state._show_chart(1, {"type": "bar", "x": "continent", "y": "n"}, ["continent", "n"])
    for event in (state.set_chart_x("password"), state.set_chart_color(5), state.set_chart_type("pie; drop")):
        assert NOT_A_COLUMN in str(event)
    assert "apply_chart" in str(state.set_chart_y("n"))
    for wanted in ({"type": "bar", "sql": "SELECT 1"}, {"x": ["continent"]}, "bar", {"title": "t" * 5000}):
        assert NOT_A_COLUMN in str(settled(handler(QueryState.apply_chart)(state, wanted)))
    assert not state.chart_busy and state.chart_error == ""


def test_cells_read_well():
    assert [format_cell(value) for value in (None, True, 1952, 8425333, 0.1 + 0.2, 1234567.891, -0.00001)] == [
        "NULL",
        "true",
        "1952",
        "8,425,333",
        "0.3",
        "1,234,567.891",
        "0",
    ]
    assert sorted_rows([[2], ["b"], [None], [1], ["A"]], 0, False) == [[1], [2], ["A"], ["b"], [None]]
    assert [_as_id(value) for value in ("12", " 7 ", "-3", "1e3", "", None, "9" * 20)] == [12, 7, 0, 0, 0, 0, 0]


def test_a_crash_in_a_service_call_reaches_the_page_as_a_plain_message(app_db):
    import asyncio

    from lumiere.core.errors import ServiceError
    from lumiere.state.service_calls import in_thread

    with session_scope() as session:
        user = register_user(session, email="crash@example.com", password="correct horse", name="Crash")

    def broken(session, user):
        raise KeyError("/srv/secret/path")

    with pytest.raises(ServiceError) as caught:
        asyncio.run(in_thread(saved_id(user), broken))
    assert caught.value.status_code == 503 and "secret" not in caught.value.detail
    with pytest.raises(ServiceError, match="sign in again"):
        asyncio.run(in_thread(10**9, lambda session, user: None))


def test_table_headers_read_as_words_with_the_sql_name_kept(app_db):
    state = page_state(QueryState)
    columns = [ResultColumn("region", "VARCHAR", "text"), ResultColumn("avg_price", "DOUBLE", "number", "$")]
    state._show_result(columns, [["EU", 2.5]], 1, False, 3, "SELECT region, AVG(price) AS avg_price FROM t GROUP BY 1")
    assert [(c.name, c.label) for c in state.result_columns] == [
        ("region", "Region"),
        ("avg_price", "Average price ($)"),
    ]
