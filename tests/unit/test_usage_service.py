"""Plan limits counted atomically: the race for the last unit, give-backs, totals, the LLM budget, plan changes.

Runs on SQLite and PostgreSQL (the `app_db` fixtures); the race uses real threads, each with its
own session, as concurrent requests would.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import plotly.data
import pytest
from sqlmodel import select

from lumiere.core.enums import UsageMetric
from lumiere.core.errors import Conflict, Invalid, LimitReached, Unavailable
from lumiere.db import saved_id, session_scope
from lumiere.models import LlmCall, Plan, UsageCounter, User
from lumiere.services import sources, usage
from lumiere.services.ask import ask_question, run_sql
from lumiere.services.auth import register_user
from lumiere.services.plans import create_plan, list_plans
from tests.helpers.rows import stored


async def _chunks(data: bytes):
    yield data


def _upload(session, user: User, frame, filename: str):
    data = frame.to_csv(index=False).encode()
    source = asyncio.run(sources.ingest_upload(session, user, filename=filename, chunks=_chunks(data)))
    session.commit()
    return source


def _user_on_plan(session, **limits) -> User:
    """A user on a fresh plan with the given limits (others unlimited)."""
    name = f"t{len(list_plans(session))}"
    create_plan(session, name=name, title=f"Test {name}", limits=limits)
    user = register_user(session, email=f"{name}@example.com", password="password-1", name="Tester")
    user.plan = name
    session.add(user)
    session.commit()
    return user


def _used(session, user: User, metric: UsageMetric) -> int:
    return usage.current_used(session, saved_id(user), metric)


def test_the_migration_creates_free_and_pro_with_room_for_a_first_week(db_session) -> None:
    plans = {plan.name: plan for plan in list_plans(db_session)}
    assert {"free", "pro"} <= set(plans)
    free = plans["free"].limits
    assert free.queries_per_month is not None and free.queries_per_month >= 500
    assert free.sources is not None and free.sources >= 10
    assert free.storage_mb is not None and free.storage_mb >= 1000
    assert plans["pro"].price_usd_per_month > plans["free"].price_usd_per_month == 0


def test_two_requests_at_once_never_both_take_the_last_unit(db_session, app_db) -> None:
    user = _user_on_plan(db_session, queries_per_month=5)
    taken, refused, failures = [], [], []
    start = threading.Barrier(12)

    def request() -> None:
        try:
            start.wait()
            with session_scope() as session:
                account = session.get(User, user.id)
                assert account is not None
                usage.take(session, account, UsageMetric.QUERIES)
            taken.append(1)
        except LimitReached:
            refused.append(1)
        except Exception as error:  # any other outcome fails the test below
            failures.append(error)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert (len(taken), len(refused)) == (5, 7)
    with session_scope() as session:
        assert _used(session, user, UsageMetric.QUERIES) == 5


def test_the_402_says_which_limit_and_how_to_get_more(db_session) -> None:
    user = _user_on_plan(db_session, queries_per_month=1)
    usage.take(db_session, user, UsageMetric.QUERIES)
    with pytest.raises(LimitReached) as raised:
        usage.take(db_session, user, UsageMetric.QUERIES)
    body = raised.value.to_body()
    assert raised.value.status_code == 402
    assert (body["limit"], body["used"], body["plan"], body["metric"]) == (1, 1, user.plan, "queries")
    assert "queries" in body["detail"] and "Settings → Plan" in body["detail"]


def test_monthly_counts_start_again_each_month_and_totals_do_not() -> None:
    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert usage.period_key(UsageMetric.QUERIES, december) == "2026-12"
    assert usage.month_bounds(december) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert usage.period_key(UsageMetric.SOURCES, december) == "total"


def test_a_query_that_fails_on_our_side_is_given_back_and_one_the_user_got_wrong_is_not(db_session) -> None:
    user = _user_on_plan(db_session, queries_per_month=10)
    with pytest.raises(Unavailable), usage.charge(db_session, user, UsageMetric.QUERIES):
        raise Unavailable("the worker crashed")
    assert _used(db_session, user, UsageMetric.QUERIES) == 0
    with pytest.raises(Invalid), usage.charge(db_session, user, UsageMetric.QUERIES):
        raise Invalid("your SQL names no table")
    assert _used(db_session, user, UsageMetric.QUERIES) == 1


def test_questions_sql_runs_and_refusals_count_as_the_issue_says(db_session) -> None:
    user = _user_on_plan(db_session, queries_per_month=2)
    tips = _upload(db_session, user, plotly.data.tips(), "tips.csv")
    ask_question(db_session, user, source_id=saved_id(tips), question="average tip by day")
    db_session.commit()
    with pytest.raises(Invalid):  # no engine could read it: costs nothing
        ask_question(db_session, user, source_id=saved_id(tips), question="qwzx vlorp brunt")
    assert _used(db_session, user, UsageMetric.QUERIES) == 1
    run_sql(db_session, user, source_id=saved_id(tips), sql="SELECT COUNT(*) FROM tips")
    db_session.commit()
    with pytest.raises(LimitReached):
        ask_question(db_session, user, source_id=saved_id(tips), question="average tip by day")


def test_sources_and_storage_are_running_totals_given_back_on_delete(db_session) -> None:
    user = _user_on_plan(db_session, sources=1, storage_mb=50)
    tips = _upload(db_session, user, plotly.data.tips(), "tips.csv")
    assert _used(db_session, user, UsageMetric.SOURCES) == 1
    assert _used(db_session, user, UsageMetric.STORAGE) == tips.size_bytes > 0
    with pytest.raises(LimitReached) as raised:
        _upload(db_session, user, plotly.data.iris(), "iris.csv")
    assert raised.value.extra["metric"] == "sources"
    assert len(sources.list_sources(db_session, user)) == 1  # nothing half-written
    sources.delete_source(db_session, user, saved_id(tips))
    db_session.commit()
    assert _used(db_session, user, UsageMetric.SOURCES) == 0
    assert _used(db_session, user, UsageMetric.STORAGE) == 0
    _upload(db_session, user, plotly.data.iris(), "iris.csv")


def test_an_upload_larger_than_the_storage_left_is_refused_and_leaves_nothing(db_session, data_dir) -> None:
    user = _user_on_plan(db_session, storage_mb=0)
    with pytest.raises(LimitReached) as raised:
        _upload(db_session, user, plotly.data.tips(), "tips.csv")
    assert raised.value.extra["metric"] == "storage"
    assert sources.list_sources(db_session, user) == []
    assert not list(data_dir.rglob("*.duckdb"))


def test_totals_start_from_what_the_user_already_holds(db_session) -> None:
    user = _user_on_plan(db_session)
    tips = _upload(db_session, user, plotly.data.tips(), "tips.csv")
    for counter in db_session.exec(select(UsageCounter).where(UsageCounter.user_id == user.id)).all():
        db_session.delete(counter)  # as after an upgrade from a version without counters
    db_session.commit()
    assert _used(db_session, user, UsageMetric.STORAGE) == tips.size_bytes
    usage.take(db_session, user, UsageMetric.SOURCES)
    assert _used(db_session, user, UsageMetric.SOURCES) == 2


def test_the_llm_budget_counts_only_the_servers_key_this_month(db_session) -> None:
    user = _user_on_plan(db_session, llm_usd_per_month=1.0)
    uid = saved_id(user)
    earlier = datetime(2020, 1, 5, tzinfo=UTC)
    db_session.add(LlmCall(user_id=uid, purpose="sql", model="m", cost_usd=5.0, outcome="ok", created_at=earlier))
    db_session.add(LlmCall(user_id=uid, purpose="sql", model="m", cost_usd=5.0, outcome="ok", user_key=True))
    db_session.add(LlmCall(user_id=uid, purpose="sql", model="m", cost_usd=0.6, outcome="ok"))
    db_session.commit()
    assert usage.llm_budget_note(db_session, user) is None
    db_session.add(LlmCall(user_id=uid, purpose="chat", model="m", cost_usd=0.4, outcome="ok"))
    db_session.commit()
    note = usage.llm_budget_note(db_session, user)
    assert note is not None and "built-in engine" in note and "$1.00" in note
    assert usage.usage_report(db_session, user).used.llm_usd == pytest.approx(1.0)


def test_a_spent_llm_budget_falls_back_to_the_builtin_engine_with_a_note(db_session, fake_llm) -> None:
    user = _user_on_plan(db_session, llm_usd_per_month=0.5)
    tips = _upload(db_session, user, plotly.data.tips(), "tips.csv")
    db_session.add(LlmCall(user_id=saved_id(user), purpose="sql", model="m", cost_usd=0.5, outcome="ok"))
    db_session.commit()
    answer = ask_question(db_session, user, source_id=saved_id(tips), question="average tip by day")
    assert answer.query.engine == "builtin"
    assert any("LLM budget" in note for note in answer.notes)
    assert fake_llm.chat_requests == []


def test_a_downgrade_that_does_not_fit_lists_what_to_remove(db_session) -> None:
    user = _user_on_plan(db_session)
    _upload(db_session, user, plotly.data.tips(), "tips.csv")
    _upload(db_session, user, plotly.data.iris(), "iris.csv")
    create_plan(db_session, name="tiny", title="Tiny", limits={"sources": 1, "storage_mb": 0})
    with pytest.raises(Conflict) as raised:
        usage.change_plan(db_session, user, "tiny")
    remove = raised.value.extra["remove"]
    assert len(remove) == 2 and "1 data source(s)" in remove[0] and "MB of data" in remove[1]
    assert stored(db_session, User, user.id).plan != "tiny"
    report = usage.change_plan(db_session, user, "pro")
    assert (report.plan, report.used.sources) == ("pro", 2)
    with pytest.raises(Invalid):
        usage.change_plan(db_session, user, "platinum")


def test_a_user_on_a_plan_that_no_longer_exists_gets_the_default_plan(db_session) -> None:
    user = _user_on_plan(db_session)
    user.plan = "gone"
    db_session.add(user)
    db_session.flush()
    report = usage.usage_report(db_session, user)
    assert report.plan == "free"
    assert db_session.get(Plan, "free") is not None
