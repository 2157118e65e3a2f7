"""The Schedule dialog and the /schedules page without a browser, on both databases: a schedule made from
an answer on Ask, History and Chat, fields the service refuses shown beside them, the plan's limit with
the way to the plans, edit, turn off and on, Run now through the real job queue (without email and with
a real SMTP server), delete, and another user's schedule reported as missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from lumiere.core.enums import RunStatus
from lumiere.db import saved_id, session_scope
from lumiere.jobs import EmbeddedWorker, reset_job_queues
from lumiere.models import Schedule, User
from lumiere.services import ask, plans, schedules, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.chat import ChatState
from lumiere.state.history import HistoryState
from lumiere.state.query import QueryState
from lumiere.state.schedule_form import (
    BROWSER_TIMEZONE_JS,
    CUSTOM,
    condition_text,
    firing_preview,
    preset_for,
    split_recipients,
    threshold_value,
)
from lumiere.state.schedules import SchedulesState
from tests.helpers.page_state import handler, page_state, settled
from tests.helpers.schedules import wait_for_run
from tests.helpers.smtp import SmtpServer

QUESTION = "How many rows are there for each continent?"


@dataclass(frozen=True)
class Asker:
    user: User
    token: str
    source_id: int
    query_id: int
    their_schedule: int  # another user's schedule
    their_query: int


def _names(events) -> list[str]:
    """The state handlers among what a handler returned or yielded (nested lists flattened)."""
    if isinstance(events, list | tuple):
        return [name for event in events for name in _names(event)]
    fn = getattr(getattr(events, "handler", events), "fn", None)
    return [fn.__name__] if fn is not None else []


@pytest.fixture
def asker(app_db) -> Asker:
    """A user with the sample dataset and one answer, and another user with a schedule of their own."""
    with session_scope() as session:
        user = register_user(session, email="planner@example.com", password="correct horse", name="Planner")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        query_id = saved_id(ask.ask_question(session, user, source_id=source_id, question=QUESTION).query)
        other = register_user(session, email="other@example.com", password="correct horse", name="Other")
        other_source = saved_id(sources.load_sample_dataset(session, other))
        their_query = saved_id(ask.ask_question(session, other, source_id=other_source, question=QUESTION).query)
        theirs = schedules.create_schedule(session, other, query_id=their_query, cron_expression="0 8 * * *",
                                           timezone="UTC", recipients=["other@example.com"])
        their_schedule = saved_id(theirs)
        session.expunge(user)
    return Asker(user, issue_token(user).access_token, source_id, query_id, their_schedule, their_query)


@pytest.fixture
def worker(app_db) -> Iterator[EmbeddedWorker]:
    """The job queue's worker threads in this process (real Huey on SQLite), as the app runs them."""
    reset_job_queues()
    running = EmbeddedWorker()
    running.start()
    yield running
    running.stop()
    reset_job_queues()


def _my_schedules(user_id: int) -> list[schedules.ScheduleView]:
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        return [schedules.public_schedule(item) for item in schedules.list_schedules(session, user)[0]]


def _asked_on_the_ask_page(asker: Asker) -> QueryState:
    state = page_state(QueryState, asker.token, f"/query?source={asker.source_id}")
    settled(state.load())
    state.set_question(QUESTION)
    settled(handler(QueryState.ask)(state))
    assert state.has_answer and state.answer_query_id > 0
    return state


def test_an_answer_on_the_ask_page_is_scheduled_in_the_browsers_zone(asker):
    state = _asked_on_the_ask_page(asker)
    opened = settled(handler(QueryState.open_schedule_form)(state, state.answer_query_id))
    assert BROWSER_TIMEZONE_JS in str(opened) and "take_browser_timezone" in str(opened)
    assert state.schedule_open and state.schedule_editing == 0 and state.schedule_query_id == state.answer_query_id
    assert state.schedule_name == QUESTION and state.schedule_question == QUESTION
    assert state.schedule_recipients == "planner@example.com"
    assert state.schedule_timezone == "UTC" and state.schedule_cron == "0 8 * * *"
    # the alert's column is picked from the answer's numeric columns
    numeric = [column.name for column in state.result_columns if column.kind in ("integer", "number")]
    assert numeric and state.schedule_columns == numeric
    assert not state.schedule_email_ready  # no SMTP settings in this test

    handler(QueryState.take_browser_timezone)(state, "Not/AZone")
    assert state.schedule_timezone == "UTC"
    handler(QueryState.take_browser_timezone)(state, "Europe/Paris")
    assert state.schedule_timezone == "Europe/Paris"
    handler(QueryState.set_schedule_preset)(state, "weekly")
    assert state.schedule_cron == "0 8 * * MON" and state.schedule_timing_problem == ""
    assert len(state.schedule_preview) == 3
    assert all(item.startswith("Mon ") and "08:00 CE" in item for item in state.schedule_preview)
    handler(QueryState.set_schedule_recipients)(state, "planner@example.com\nBoss@Example.com; team@example.com")
    handler(QueryState.set_schedule_format)(state, "xlsx")
    handler(QueryState.set_schedule_condition)(state, "threshold")
    handler(QueryState.set_schedule_column)(state, numeric[0])
    handler(QueryState.set_schedule_op)(state, ">=")
    handler(QueryState.set_schedule_value)(state, "1,000")

    events = settled(handler(QueryState.save_schedule)(state))
    assert not state.schedule_open and state.schedule_error == "" and "Open Schedules" in str(events)
    [made] = _my_schedules(saved_id(asker.user))
    assert (made.name, made.cron, made.timezone, made.format) == (QUESTION, "0 8 * * MON", "Europe/Paris", "xlsx")
    assert made.recipients == ["planner@example.com", "boss@example.com", "team@example.com"]
    assert made.only_if == {"column": numeric[0], "op": ">=", "value": 1000}
    assert made.query_id == state.answer_query_id != asker.query_id  # the answer just asked

    # the browser's zone is remembered: the next dialog starts in it without asking again
    assert settled(state.open_schedule_form(state.answer_query_id)) is None
    assert state.schedule_timezone == "Europe/Paris" and state.schedule_condition == "always"


def test_each_refusal_shows_beside_its_field_and_the_plan_limit_links_to_the_plans(asker):
    state = page_state(HistoryState, asker.token, "/history")
    settled(state.load())
    settled(state.open_schedule_form(str(asker.query_id)))
    assert state.schedule_columns == []  # history does not hold the answer's rows: the column is typed
    cases = [
        (state.set_schedule_cron, "61 8 * * *", "cron"),
        (state.set_schedule_timezone, "Mars/Olympus_Mons", "timezone"),
        (state.set_schedule_recipients, "planner@example.com, not-an-address", "recipients"),
        (state.set_schedule_name, "   ", "name"),
    ]
    for setter, bad, field in cases:
        good = {"cron": state.schedule_cron, "timezone": state.schedule_timezone,
                "recipients": state.schedule_recipients, "name": state.schedule_name}[field]
        setter(bad)
        settled(state.save_schedule())
        assert state.schedule_open and state.schedule_error_field == field and state.schedule_error, field
        setter(good)
        assert state.schedule_error == ""  # changing the field clears its message
    assert state.schedule_preset == CUSTOM
    state.set_schedule_cron("61 8 * * *")
    assert state.schedule_preview == [] and "not a valid cron expression" in state.schedule_timing_problem
    state.set_schedule_cron("0 8 * * *")

    state.set_schedule_condition("threshold")
    state.set_schedule_column("count")
    state.set_schedule_value("lots")
    settled(state.save_schedule())
    assert state.schedule_error_field == "only_if" and "number" in state.schedule_error
    state.set_schedule_condition("rows")
    assert _my_schedules(saved_id(asker.user)) == []

    with session_scope() as session:
        limit = plans.get_plan(session, asker.user.plan).schedules
        assert limit is not None
        user = session.get(User, saved_id(asker.user))
        assert user is not None
        for _ in range(limit):
            schedules.create_schedule(session, user, query_id=asker.query_id, cron_expression="0 8 * * *",
                                      timezone="UTC", recipients=["planner@example.com"])
    settled(state.save_schedule())
    assert state.schedule_open and state.schedule_limit_reached and state.schedule_error_field == ""
    assert str(limit) in state.schedule_error
    assert len(_my_schedules(saved_id(asker.user))) == limit


def test_a_chat_answer_is_scheduled_with_its_columns(asker):
    state = page_state(ChatState, asker.token, "/chat")
    settled(state.load())
    state.set_draft("average life expectancy by continent")
    settled(handler(ChatState.send)(state))
    answer = state.bubbles[-1]
    assert answer.query_id > 0
    settled(state.open_schedule_form(answer.query_id))
    assert state.schedule_open and state.schedule_name == "average life expectancy by continent"
    assert state.schedule_columns and "continent" not in state.schedule_columns
    state.set_schedule_preset("monthly")
    settled(state.save_schedule())
    [made] = _my_schedules(saved_id(asker.user))
    assert made.cron == "0 8 1 * *" and made.query_id == answer.query_id


def _schedule(asker: Asker, **options) -> int:
    with session_scope() as session:
        user = session.get(User, saved_id(asker.user))
        assert user is not None
        made = schedules.create_schedule(session, user, query_id=asker.query_id, cron_expression="0 8 * * MON",
                                         timezone="America/New_York", recipients=["planner@example.com"], **options)
        return saved_id(made)


def test_the_page_lists_edits_turns_off_and_deletes(asker):
    schedule_id = _schedule(asker, name="Weekly continents", only_if={"rows": True})
    state = page_state(SchedulesState, asker.token, "/schedules")
    settled(state.load())
    assert state.loaded and state.total == 1 and not state.email_configured
    [row] = state.items
    assert (row.id, row.name, row.question, row.source) == (schedule_id, "Weekly continents", QUESTION, "gapminder")
    assert row.cron_text == "At 08:00 on Monday" and row.timezone == "America/New_York"
    assert row.recipients == "planner@example.com" and row.format == "CSV"
    assert row.condition == "Only when there are rows" and row.enabled
    assert row.next_run.startswith("Mon ") and "08:00 E" in row.next_run  # EST or EDT
    assert row.last_run == "" and row.last_status == ""

    settled(state.open_schedule_editor(schedule_id))
    assert state.schedule_open and state.schedule_editing == schedule_id
    assert (state.schedule_preset, state.schedule_timezone, state.schedule_condition) == (
        "weekly", "America/New_York", "rows")
    handler(SchedulesState.take_browser_timezone)(state, "Asia/Tokyo")
    assert state.schedule_timezone == "America/New_York"  # an edited schedule keeps its own zone
    state.set_schedule_name("Continents, weekly")
    state.set_schedule_cron("30 7 * * 1-5")
    state.set_schedule_condition("threshold")
    state.set_schedule_column("count")
    state.set_schedule_op(">")
    state.set_schedule_value("2.5")
    state.set_schedule_format("pdf")
    events = settled(state.save_schedule())
    assert not state.schedule_open and "refresh" in _names(events)
    settled(state.refresh())
    [row] = state.items
    assert row.name == "Continents, weekly" and row.cron == "30 7 * * 1-5" and row.format == "PDF"
    assert row.condition == "Only when count > 2.5"

    assert "is off" in str(settled(state.set_enabled(schedule_id, False)))
    assert not state.items[0].enabled and state.items[0].next_run == ""
    assert "is on" in str(settled(state.set_enabled(str(schedule_id), True)))
    assert state.items[0].enabled and state.items[0].next_run

    state.ask_delete(schedule_id, "Continents, weekly")
    assert state.confirming_delete
    state.cancel_delete()
    assert not state.confirming_delete and state.total == 1
    state.ask_delete(schedule_id, "Continents, weekly")
    assert "deleted" in str(settled(state.confirm_delete()))
    assert state.items == [] and state.total == 0 and _my_schedules(saved_id(asker.user)) == []


def test_run_now_without_email_records_the_run_as_failed_and_says_why(asker, worker):
    schedule_id = _schedule(asker)
    state = page_state(SchedulesState, asker.token, "/schedules")
    settled(state.load())
    events = settled(state.run_now(schedule_id))
    assert "watch_runs" in _names(events) and "Email is not configured" in str(events)
    assert state.expanded_id == schedule_id and len(state.runs) == 1
    assert state.runs[0].trigger == "Run now"
    # a second Run now while the first waits is refused, with the reason
    if state.runs[0].status in ("queued", "running"):
        assert "still waiting or running" in str(settled(state.run_now(schedule_id)))
    wait_for_run(state.runs[0].id)
    settled(handler(SchedulesState.watch_runs)(state))
    [run] = state.runs
    assert run.status == RunStatus.FAILED and run.status_label == "Failed"
    assert "Email is not configured" in run.error and run.rows == "5 rows"
    assert run.started and run.finished and state.items[0].last_status == "failed"

    settled(state.toggle_runs(schedule_id))
    assert state.expanded_id == 0 and state.runs == []
    settled(state.toggle_runs(schedule_id))
    assert state.expanded_id == schedule_id and state.runs_total == 1


def test_run_now_with_a_mail_server_sends_the_email(asker, mail_settings: SmtpServer, worker):
    schedule_id = _schedule(asker, name="Continents by mail")
    state = page_state(SchedulesState, asker.token, "/schedules")
    settled(state.load())
    assert state.email_configured
    events = settled(state.run_now(schedule_id))
    assert "Email is not configured" not in str(events)
    wait_for_run(state.runs[0].id, timeout=90)
    settled(handler(SchedulesState.watch_runs)(state))
    assert state.runs[0].status == "sent", state.runs[0].error
    [received] = mail_settings.wait_for(1)
    assert received.recipients == ["planner@example.com"] and received.message["Subject"] == "Continents by mail"


def test_another_users_schedule_or_query_is_not_found(asker):
    theirs = asker.their_schedule
    state = page_state(SchedulesState, asker.token, "/schedules")
    settled(state.load())
    assert state.items == []
    missing = f"No schedule with id {theirs}"
    assert missing in str(settled(state.run_now(theirs)))
    assert missing in str(settled(state.set_enabled(theirs, False)))
    assert missing in str(settled(state.open_schedule_editor(theirs)))
    assert missing in str(settled(state.toggle_runs(theirs)))
    state.ask_delete(theirs, "theirs")
    assert missing in str(settled(state.confirm_delete()))
    assert not state.schedule_open
    assert "not valid" in str(settled(state.run_now("1; drop")))

    query_page = page_state(QueryState, asker.token, "/query")
    assert f"No query with id {asker.their_query}" in str(settled(query_page.open_schedule_form(asker.their_query)))
    assert not query_page.schedule_open
    with session_scope() as session:
        schedule = session.get(Schedule, theirs)
        assert schedule is not None and schedule.enabled and schedule.name == QUESTION  # untouched


def test_what_the_dialog_reads_from_the_browser():
    assert split_recipients(" a@x.com,\n\nb@y.org ; c@z.net\r\n") == ["a@x.com", "b@y.org", "c@z.net"]
    assert threshold_value("1,000") == 1000 and threshold_value(" -2.5 ") == -2.5 and threshold_value("1e3") == 1000.0
    assert threshold_value("nan") is None and threshold_value("inf") is None and threshold_value("ten") is None
    assert preset_for("0 8 * * MON") == "weekly" and preset_for("5 4 * * *") == CUSTOM
    assert condition_text(None) == "Always sent" and condition_text({"rows": True}) == "Only when there are rows"
    assert condition_text({"column": "total", "op": ">", "value": 12500}) == "Only when total > 12,500"
    # the preview reads firings in the chosen zone, across the spring change in Paris (02:00 → 03:00)
    firings, problem = firing_preview("30 2 * * *", "Europe/Paris", datetime(2025, 3, 29, 12, tzinfo=UTC))
    assert problem == "" and firings == [
        "Sun 30 Mar 2025, 03:00 CEST", "Mon 31 Mar 2025, 02:30 CEST", "Tue 1 Apr 2025, 02:30 CEST"]
    assert "not an IANA time zone" in firing_preview("0 8 * * *", "Paris", datetime.now(UTC))[1]
