"""History: search, filters, paging, isolation, few-shot examples."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import pytest

from lumiere.api.schemas import QueryOut
from lumiere.core.enums import QueryStatus
from lumiere.core.errors import Invalid, NotFound
from lumiere.models import Query
from lumiere.services.auth import register_user
from lumiere.services.history import (
    HistoryFilter,
    delete_query,
    few_shot_examples,
    get_query,
    last_used_source_id,
    list_queries,
    public_query,
)


@pytest.fixture
def two_users(db_session):
    return (
        register_user(db_session, email="h1@example.com", password="password-1", name="One"),
        register_user(db_session, email="h2@example.com", password="password-2", name="Two"),
    )


def _add(session, user, question, sql, *, status="ok", source_id=1, origin="question", days_ago=0):
    query = Query(
        user_id=user.id,
        source_id=source_id,
        source_name=f"source {source_id}",
        question=question,
        sql=sql,
        status=status,
        origin=origin,
        created_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    session.add(query)
    session.flush()
    return query


def test_search_matches_question_or_sql_case_insensitively(db_session, two_users):
    me, other = two_users
    _add(db_session, me, "Average tip by day", 'SELECT "day", AVG("tip") FROM tips GROUP BY 1')
    _add(db_session, me, "How many rows?", "SELECT COUNT(*) FROM gapminder")
    _add(db_session, other, "Average tip for someone else", "SELECT 1")
    assert [q.question for q in list_queries(db_session, me, HistoryFilter(search="AVERAGE"))[0]] == [
        "Average tip by day"
    ]
    assert [q.question for q in list_queries(db_session, me, HistoryFilter(search="gapminder"))[0]] == [
        "How many rows?"
    ]
    assert list_queries(db_session, me, HistoryFilter(search="100%"))[1] == 0  # LIKE wildcards are literal


def test_filters_by_source_status_and_date(db_session, two_users):
    me, _ = two_users
    _add(db_session, me, "old", "SELECT 1", days_ago=10)
    _add(db_session, me, "refused", "DROP TABLE x", status="refused", source_id=2)
    _add(db_session, me, "fresh", "SELECT 2")
    assert {q.question for q in list_queries(db_session, me, HistoryFilter(source_id=2))[0]} == {"refused"}
    refused = HistoryFilter(status=QueryStatus.REFUSED)
    assert {q.question for q in list_queries(db_session, me, refused)[0]} == {"refused"}
    recent = HistoryFilter(date_from=date.today() - timedelta(days=1))
    assert {q.question for q in list_queries(db_session, me, recent)[0]} == {"refused", "fresh"}
    old = HistoryFilter(date_to=date.today() - timedelta(days=5))
    assert {q.question for q in list_queries(db_session, me, old)[0]} == {"old"}
    with pytest.raises(Invalid):
        list_queries(db_session, me, HistoryFilter(status="bogus"))  # type: ignore[arg-type]  # refused: no such status
    with pytest.raises(Invalid):
        list_queries(db_session, me, HistoryFilter(date_from=date(2030, 1, 2), date_to=date(2030, 1, 1)))


def test_paging_is_newest_first_and_counts_everything(db_session, two_users):
    me, _ = two_users
    for number in range(7):
        _add(db_session, me, f"q{number}", "SELECT 1", days_ago=7 - number)
    first, total = list_queries(db_session, me, page=1, page_size=3)
    second, _ = list_queries(db_session, me, page=3, page_size=3)
    assert total == 7
    assert [q.question for q in first] == ["q6", "q5", "q4"]
    assert [q.question for q in second] == ["q0"]


def test_other_users_entries_are_not_found(db_session, two_users):
    me, other = two_users
    theirs = _add(db_session, other, "private", "SELECT 1")
    with pytest.raises(NotFound):
        get_query(db_session, me, theirs.id)
    with pytest.raises(NotFound):
        delete_query(db_session, me, theirs.id)
    assert get_query(db_session, other, theirs.id).question == "private"


def test_few_shot_examples_are_distinct_successful_questions_on_the_source(db_session, two_users):
    me, other = two_users
    _add(db_session, me, "Total sales", "SELECT SUM(x) FROM t", days_ago=3)
    _add(db_session, me, "total sales", "SELECT SUM(x) FROM t", days_ago=2)
    _add(db_session, me, "Broken", "SELECT nope", status="error")
    _add(db_session, me, "Edited", "SELECT 1", origin="sql")
    _add(db_session, me, "Other source", "SELECT 1", source_id=9)
    _add(db_session, other, "Someone else's", "SELECT 1")
    examples = few_shot_examples(db_session, me, 1)
    assert [example.question for example in examples] == ["total sales"]


def test_public_query_shape(db_session, two_users):
    me, _ = two_users
    shown = public_query(_add(db_session, me, "q", "SELECT 1"), source_exists=False)
    assert {field.name for field in fields(shown)} == set(QueryOut.model_fields)
    assert (shown.question, shown.sql, shown.status) == ("q", "SELECT 1", QueryStatus.OK)
    assert shown.source_exists is False and shown.created_at.endswith("Z")


def test_the_last_used_source_is_the_one_of_the_latest_own_question(db_session, two_users):
    me, other = two_users
    assert last_used_source_id(db_session, me) is None
    _add(db_session, me, "old", "SELECT 1", source_id=7, days_ago=2)
    _add(db_session, me, "newer", "SELECT 1", source_id=3, days_ago=1)
    _add(db_session, other, "someone else's, newest", "SELECT 1", source_id=9)
    assert last_used_source_id(db_session, me) == 3
