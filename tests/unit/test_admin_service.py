"""The admin services on SQLite and PostgreSQL: who gets in, metrics per UTC day with quiet days as
zeros, the users list (search, sort, pages, usage without a query per user), the last-admin rule
(also when two admins demote each other at once), disabling ending every token, costs and plans."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from lumiere.core.enums import QueryStatus, UsageMetric
from lumiere.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from lumiere.db import get_engine, saved_id, session_scope
from lumiere.models import LlmCall, Query, Source, User
from lumiere.services import admin, admin_metrics, admin_users
from lumiere.services.auth import authenticate, issue_token, register_user, user_from_token
from lumiere.services.usage import take
from tests.helpers.rows import stored

MB = 1024 * 1024


def _user(session: Session, email: str, name: str = "Someone", *, created: datetime | None = None) -> User:
    user = register_user(session, email=email, password="password-1", name=name)
    if created is not None:
        user.created_at = created
        session.add(user)
        session.flush()
    return user


def _query(session: Session, user: User, at: datetime, status: QueryStatus = QueryStatus.OK) -> None:
    session.add(Query(user_id=saved_id(user), question="q", sql="SELECT 1", status=status, created_at=at))
    session.flush()


def _call(session: Session, user: User | None, at: datetime, usd: float, *, model: str = "gpt-4o-mini",
          purpose: str = "sql", own_key: bool = False, tokens: tuple[int, int] = (100, 20)) -> None:
    session.add(LlmCall(user_id=user.id if user else None, purpose=purpose, model=model, prompt_tokens=tokens[0],
                        completion_tokens=tokens[1], cost_usd=usd, user_key=own_key, outcome="ok", created_at=at))
    session.flush()


def _source(session: Session, user: User, size_bytes: int, name: str = "data") -> None:
    session.add(Source(user_id=saved_id(user), name=name, kind="csv", size_bytes=size_bytes))
    session.flush()


def _midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_every_admin_function_refuses_a_user_and_a_disabled_admin(db_session):
    boss = _user(db_session, "boss@example.com")
    someone = _user(db_session, "someone@example.com")
    calls = [
        lambda actor: admin_metrics.metrics(db_session, actor, 30),
        lambda actor: admin_metrics.costs(db_session, actor, 30),
        lambda actor: admin_users.list_users(db_session, actor),
        lambda actor: admin_users.update_user(db_session, actor, saved_id(boss), role="user"),
        lambda actor: admin_users.set_user_plan(db_session, actor, saved_id(boss), "pro"),
        lambda actor: admin.admin_plans(db_session, actor),
        lambda actor: admin.admin_create_plan(db_session, actor, name="team", title="Team"),
        lambda actor: admin.admin_update_plan(db_session, actor, "free", title="Gratis"),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match="needs an administrator account"):
            call(someone)
    boss.disabled = True
    for call in calls:
        with pytest.raises(Forbidden):
            call(boss)


@pytest.mark.parametrize("days", [0, 367, -1, True, "30", 2.5])
def test_the_period_is_1_to_366_whole_days(days):
    with pytest.raises(Invalid, match="1 to 366") as raised:
        admin.period_of(days)
    assert raised.value.extra["field"] == "days"


def test_metrics_give_every_day_of_the_period_with_zeros_and_utc_days(db_session):
    if db_session.get_bind().dialect.name == "postgresql":
        # A session far east of UTC: days must still be cut at UTC midnight.
        db_session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    today = _midnight()
    boss = _user(db_session, "boss@example.com", created=today - timedelta(days=100))
    ann = _user(db_session, "ann@example.com", created=today - timedelta(days=2, hours=-1))
    ben = _user(db_session, "ben@example.com", created=today + timedelta(minutes=5))
    _query(db_session, ann, today - timedelta(days=2) + timedelta(hours=3))
    _query(db_session, ann, today - timedelta(minutes=30), QueryStatus.ERROR)  # yesterday 23:30 UTC
    _query(db_session, ben, today - timedelta(minutes=20), QueryStatus.REFUSED)
    _query(db_session, ben, today + timedelta(minutes=10))
    _query(db_session, boss, today - timedelta(days=40))  # before a 30-day period
    _call(db_session, ann, today - timedelta(minutes=10), 0.25)
    _call(db_session, ben, today + timedelta(minutes=1), 0.5, own_key=True)  # the user's money, not ours
    _source(db_session, ann, 3 * MB)
    _source(db_session, ben, MB)
    db_session.flush()

    report = admin_metrics.metrics(db_session, boss, 7)
    assert len(report.per_day) == 7 and report.period_start == (today - timedelta(days=6)).date().isoformat()
    assert [day.date for day in report.per_day] == [(today - timedelta(days=6 - n)).date().isoformat()
                                                     for n in range(7)]
    by_date = {day.date: day for day in report.per_day}
    two_days_ago = by_date[(today - timedelta(days=2)).date().isoformat()]
    yesterday = by_date[(today - timedelta(days=1)).date().isoformat()]
    today_row = by_date[today.date().isoformat()]
    assert (two_days_ago.queries, two_days_ago.failed_queries, two_days_ago.active_users,
            two_days_ago.new_users) == (1, 0, 1, 1)
    assert (yesterday.queries, yesterday.failed_queries, yesterday.active_users) == (2, 2, 2)
    assert yesterday.llm_usd == pytest.approx(0.25) and yesterday.llm_calls == 1
    assert (today_row.queries, today_row.new_users, today_row.llm_calls, today_row.llm_usd) == (1, 1, 1, 0)
    quiet = [day for day in report.per_day if day.date not in {two_days_ago.date, yesterday.date, today_row.date}]
    assert len(quiet) == 4 and all(
        (day.queries, day.failed_queries, day.active_users, day.new_users, day.llm_calls, day.llm_usd)
        == (0, 0, 0, 0, 0, 0.0) for day in quiet
    )
    assert (report.users, report.new_users, report.active_users) == (3, 2, 2)
    assert (report.queries, report.failed_queries) == (4, 2)
    assert (report.sources, report.storage_mb, report.llm_calls, report.llm_usd) == (2, 4.0, 2, 0.25)
    assert [(row.email, row.storage_mb) for row in report.storage_by_user] == [
        ("ann@example.com", 3.0), ("ben@example.com", 1.0)
    ]
    month = admin_metrics.metrics(db_session, boss, 366)
    assert len(month.per_day) == 366 and month.queries == 5 and month.active_users == 3


def test_users_list_searches_literally_sorts_pages_and_reads_usage_in_a_fixed_number_of_queries(db_session):
    boss = _user(db_session, "boss@example.com", "Zed Boss")
    under = _user(db_session, "a_b@example.com", "Underscore")
    plain = _user(db_session, "axb@example.com", "Plain")
    for _ in range(3):
        take(db_session, plain, UsageMetric.QUERIES)
    take(db_session, under, UsageMetric.QUERIES)
    _source(db_session, plain, 2 * MB)
    _source(db_session, plain, MB // 2)
    now = datetime.now(UTC)
    _call(db_session, plain, now, 0.125)
    _call(db_session, plain, now, 9.0, own_key=True)
    _call(db_session, plain, now - timedelta(days=40), 5.0)  # another month
    more = [_user(db_session, f"extra-{letter}@example.com", f"Extra {letter}") for letter in "abcdefghijkl"]

    found = admin_users.list_users(db_session, boss, search="A_B")
    assert [user.email for user in found.items] == ["a_b@example.com"] and found.total == 1
    assert admin_users.list_users(db_session, boss, search="%").total == 0
    assert [user.email for user in admin_users.list_users(db_session, boss, search="plain").items] == [
        "axb@example.com"]

    by_queries = admin_users.list_users(db_session, boss, sort="-queries", page_size=2)
    assert [user.email for user in by_queries.items] == ["axb@example.com", "a_b@example.com"]
    assert by_queries.total == 15 and by_queries.sort == "-queries"
    usage = by_queries.items[0].usage
    assert (usage.queries, usage.sources, usage.storage_mb, usage.llm_usd) == (3, 2, 2.5, 0.125)
    assert admin_users.list_users(db_session, boss, sort="name", page_size=1).items[0].email == "extra-a@example.com"
    assert admin_users.list_users(db_session, boss, sort="-name", page_size=1).items[0].email == "boss@example.com"
    emails = [user.email for page in (1, 2, 3, 4) for user in
              admin_users.list_users(db_session, boss, sort="email", page=page, page_size=4).items]
    assert emails == sorted(user.email for user in [boss, under, plain, *more])
    assert admin_users.list_users(db_session, boss, page=9, page_size=4).items == []
    newest = admin_users.list_users(db_session, boss).items[0]
    assert newest.email == "extra-l@example.com" and newest.role == "user" and newest.plan == "free"

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        admin_users.list_users(db_session, boss, page_size=2)
        small = len(statements)
        statements.clear()
        admin_users.list_users(db_session, boss, page_size=15)
        assert len(statements) == small
    finally:
        event.remove(engine, "before_cursor_execute", count)

    for bad in ({"sort": "password"}, {"page": 0}, {"page_size": 101}, {"page_size": 0}, {"search": "x" * 201}):
        with pytest.raises(Invalid):
            admin_users.list_users(db_session, boss, **bad)


def test_the_last_enabled_admin_can_be_neither_demoted_nor_disabled(db_session):
    first = _user(db_session, "first@example.com")
    second = _user(db_session, "second@example.com")
    with pytest.raises(Conflict, match="last enabled administrator"):
        admin_users.update_user(db_session, first, saved_id(first), role="user")
    with pytest.raises(Conflict, match="cannot disable your own account"):
        admin_users.update_user(db_session, first, saved_id(first), disabled=True)

    promoted = admin_users.update_user(db_session, first, saved_id(second), role="admin")
    assert promoted.role == "admin"
    assert admin_users.update_user(db_session, second, saved_id(first), disabled=True).disabled
    db_session.refresh(first)
    # A disabled admin is not one who can run the installation: `second` is the last enabled one.
    with pytest.raises(Conflict) as raised:
        admin_users.update_user(db_session, second, saved_id(second), role="user")
    assert raised.value.status_code == 409 and raised.value.extra["field"] == "role"
    assert stored(db_session, User, saved_id(second)).role == "admin"
    admin_users.update_user(db_session, second, saved_id(first), disabled=False)
    assert admin_users.update_user(db_session, second, saved_id(second), role="user").role == "user"

    with pytest.raises(NotFound):
        admin_users.update_user(db_session, first, 10**9, role="user")
    with pytest.raises(Invalid) as wrong_role:
        admin_users.update_user(db_session, first, saved_id(second), role="root")
    assert wrong_role.value.extra["field"] == "role"
    with pytest.raises(Invalid):
        admin_users.update_user(db_session, first, saved_id(second), disabled="yes")


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app_db):
    with session_scope() as session:
        one = _user(session, "one@example.com")
        two = _user(session, "two@example.com")
        two.role = "admin"
        ids = (saved_id(one), saved_id(two))

    def demote(actor_id: int, target_id: int, barrier: threading.Barrier, outcomes: list[str]) -> None:
        try:
            with session_scope() as session:
                actor = stored(session, User, actor_id)
                barrier.wait(timeout=10)
                admin_users.update_user(session, actor, target_id, role="user")
            outcomes.append("demoted")
        except Conflict:
            outcomes.append("refused")

    for _ in range(3):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [threading.Thread(target=demote, args=(ids[0], ids[1], barrier, outcomes)),
                   threading.Thread(target=demote, args=(ids[1], ids[0], barrier, outcomes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["demoted", "refused"]
        with session_scope() as session:
            admins = [user for user in (stored(session, User, ids[0]), stored(session, User, ids[1]))
                      if user.role == "admin"]
            assert len(admins) == 1
            for user in (stored(session, User, ids[0]), stored(session, User, ids[1])):
                user.role = "admin"  # both admins again for the next round


def test_disabling_ends_every_token_at_once_and_enabling_needs_a_new_sign_in(db_session):
    boss = _user(db_session, "boss@example.com")
    bob = _user(db_session, "bob@example.com")
    tokens = [issue_token(bob).access_token for _ in range(2)]
    assert admin_users.update_user(db_session, boss, saved_id(bob), disabled=True).disabled
    for token in tokens:
        with pytest.raises(Unauthorized):
            user_from_token(db_session, token)
    with pytest.raises(Forbidden, match="disabled"):
        authenticate(db_session, email="bob@example.com", password="password-1")
    enabled = admin_users.update_user(db_session, boss, saved_id(bob), disabled=False)
    assert not enabled.disabled
    with pytest.raises(Unauthorized):
        user_from_token(db_session, tokens[0])  # still over: the old sessions do not come back
    fresh = issue_token(authenticate(db_session, email="bob@example.com", password="password-1")).access_token
    assert user_from_token(db_session, fresh).email == "bob@example.com"


def test_an_admin_sets_any_plan_that_exists(db_session):
    boss = _user(db_session, "boss@example.com")
    bob = _user(db_session, "bob@example.com")
    assert admin_users.set_user_plan(db_session, boss, saved_id(bob), "pro").plan == "pro"
    with pytest.raises(Invalid) as raised:
        admin_users.set_user_plan(db_session, boss, saved_id(bob), "platinum")
    assert raised.value.extra["field"] == "plan" and "free" in raised.value.detail
    with pytest.raises(NotFound):
        admin_users.set_user_plan(db_session, boss, 10**9, "free")


def test_costs_by_user_model_and_purpose_count_only_the_period_and_keep_deleted_accounts(db_session):
    boss = _user(db_session, "boss@example.com")
    ann = _user(db_session, "ann@example.com")
    gone = _user(db_session, "gone@example.com")
    now = datetime.now(UTC)
    _call(db_session, ann, now, 0.5, purpose="sql", tokens=(1000, 100))
    _call(db_session, ann, now, 0.25, model="gpt-4o", purpose="insight", tokens=(500, 50))
    _call(db_session, ann, now, 2.0, purpose="chat", own_key=True)
    _call(db_session, gone, now, 0.125, purpose="chart")
    _call(db_session, ann, now - timedelta(days=10), 7.0)
    db_session.delete(gone)
    db_session.flush()
    db_session.expire_all()

    report = admin_metrics.costs(db_session, boss, 7)
    assert [(row.email, row.calls, row.usd, row.own_key_usd) for row in report.items] == [
        ("ann@example.com", 3, 0.75, 2.0), (None, 1, 0.125, 0.0)
    ]
    assert report.items[0].prompt_tokens == 1600 and report.items[0].completion_tokens == 170
    assert report.items[1].user_id is None
    assert [(row.key, row.usd) for row in report.by_model] == [("gpt-4o-mini", 0.625), ("gpt-4o", 0.25)]
    assert [row.key for row in report.by_purpose] == ["sql", "insight", "chart", "chat"]
    assert (report.total_usd, report.own_key_usd, report.calls) == (0.875, 2.0, 4)
    assert admin_metrics.costs(db_session, boss, 30).total_usd == 7.875


def test_plans_are_created_and_edited_through_the_plan_rules(db_session):
    boss = _user(db_session, "boss@example.com")
    team = admin.admin_create_plan(db_session, boss, name="team", title="Team", price_usd_per_month=50,
                                   limits={"queries_per_month": 5000, "sources": None})
    assert team.limits.queries_per_month == 5000 and team.limits.sources is None
    with pytest.raises(Conflict):
        admin.admin_create_plan(db_session, boss, name="team", title="Team again")
    edited = admin.admin_update_plan(db_session, boss, "team", limits={"queries_per_month": None}, title="Teams")
    assert edited.title == "Teams" and edited.limits.queries_per_month is None and edited.price_usd_per_month == 50
    with pytest.raises(Invalid):
        admin.admin_update_plan(db_session, boss, "team", limits={"sources": -1})
    with pytest.raises(NotFound):
        admin.admin_update_plan(db_session, boss, "nope", title="Nope")
    assert [plan.name for plan in admin.admin_plans(db_session, boss)] == ["free", "pro", "team"]


def test_make_admin_promotes_and_enables_an_existing_account(db_session):
    _user(db_session, "first@example.com")
    bob = _user(db_session, "bob@example.com")
    bob.disabled = True
    assert admin_users.make_admin(db_session, " BOB@example.com ").role == "admin"
    assert not stored(db_session, User, saved_id(bob)).disabled
    with pytest.raises(NotFound, match="no account with the email"):
        admin_users.make_admin(db_session, "nobody@example.com")


def test_the_day_expression_is_the_same_text_on_both_databases(app_db):
    with session_scope() as session:
        user = _user(session, "x@example.com")
        _query(session, user, datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC))
    with Session(get_engine()) as session:
        day = session.exec(
            select(admin_metrics.utc_day(Query.created_at))
        ).one()
    assert day == "2026-03-01"
