"""The admin console's state without a browser: a non-admin is sent to the dashboard, the admin sees
cards and charts with a value for every day, changes plans, roles and the disabled flag (a refusal
shows above the table), edits plans; a disabled user's next event ends their page with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from lumiere.db import session_scope
from lumiere.models import LlmCall, User
from lumiere.services.auth import DISABLED, issue_token, register_user
from lumiere.state.admin import AdminState
from lumiere.state.admin_plans import UNLIMITED, parse_number
from lumiere.state.auth import LoginState
from lumiere.state.dashboard import DashboardState
from tests.helpers.page_state import page_state, settled
from tests.helpers.rows import stored


def _accounts() -> tuple[str, str, int]:
    """The admin's token, a user's token and the user's id."""
    with session_scope() as session:
        boss = register_user(session, email="boss@example.com", password="password-1", name="Boss")
        bob = register_user(session, email="bob@example.com", password="password-1", name="Bob")
        return issue_token(boss).access_token, issue_token(bob).access_token, bob.id or 0


def _row(state: AdminState, email: str):
    return next(row for row in state.users if row.email == email)


def test_a_non_admin_is_sent_to_the_dashboard_with_a_message(app_db):
    _, bob_token, _ = _accounts()
    state = page_state(AdminState, bob_token, "/admin")
    outcome = str(settled(state.load()))
    assert "/dashboard" in outcome and "for administrators" in outcome
    assert not state.loaded and state.users == [] and state.cards == []
    signed_out = page_state(AdminState, "", "/admin")
    assert "/login?next=/admin" in str(settled(signed_out.load()))


def test_the_admin_sees_cards_charts_users_plans_and_status(app_db):
    boss_token, _, _ = _accounts()
    state = page_state(AdminState, boss_token, "/admin")
    assert settled(state.load()) is None and state.loaded
    assert [card.label for card in state.cards] == ["Users", "Active users", "Queries", "Data sources", "LLM cost"]
    assert state.cards[0].value == "2"
    traces = state.queries_figure["data"]
    assert [trace["name"] for trace in traces] == ["Succeeded", "Failed"] and len(traces[0]["x"]) == 30
    assert len(state.users_figure["data"][0]["y"]) == 30 and state.llm_cost_figure["data"]
    assert not state.has_storage and not state.has_costs
    assert [row.email for row in state.users] == ["bob@example.com", "boss@example.com"]
    assert state.plan_names == ["free", "pro"] and state.plans[0].title == "Free"
    assert state.status.database_ok and not state.status.redis_configured
    assert "Not configured" in state.status.redis
    with session_scope() as session:
        session.add(LlmCall(user_id=state.user_id, purpose="insight", model="gpt-4o", prompt_tokens=900,
                            completion_tokens=100, cost_usd=0.0125, outcome="ok", created_at=datetime.now(UTC)))
    settled(state.set_period("7"))
    assert state.period == "7" and len(state.queries_figure["data"][0]["x"]) == 7
    assert state.has_costs and state.cost_total.startswith("$0.01 on the server's key over 1 call")
    assert [(row.label, row.usd, row.prompt_tokens) for row in state.cost_models] == [("gpt-4o", "$0.01", "900")]
    assert state.cost_users[0].label == "boss@example.com" and state.cost_purposes[0].label == "insight"
    assert state.cost_purpose_figure["data"][0]["y"] == ["insight"]
    assert state.cards[4].value == "$0.01" and state.cards[4].detail == "1 call"
    assert "7, 30 or 90" in str(settled(state.set_period("365"))) and state.period == "7"
    assert "checked" in str(settled(state.refresh_status()))


def test_users_table_sorts_searches_and_changes_plan_and_role(app_db):
    boss_token, _, bob_id = _accounts()
    state = page_state(AdminState, boss_token, "/admin")
    settled(state.load())
    settled(state.sort_users("email"))
    assert [row.email for row in state.users] == ["bob@example.com", "boss@example.com"]
    settled(state.sort_users("email"))
    assert state.users_sort == "-email" and state.users[0].email == "boss@example.com"
    assert "column headers" in str(settled(state.sort_users("password_hash")))
    settled(state.set_users_search("BOB"))
    assert [row.email for row in state.users] == ["bob@example.com"] and state.users_total == 1

    assert "Plan changed" in str(settled(state.change_plan(str(bob_id), "pro")))
    assert _row(state, "bob@example.com").plan == "pro"
    assert "not valid" in str(settled(state.change_plan(str(bob_id), "platinum")))
    settled(state.set_users_search(""))
    boss_id = _row(state, "boss@example.com").id
    settled(state.change_role(boss_id, "user"))
    assert "last enabled administrator" in state.users_error
    assert _row(state, "boss@example.com").role == "admin"
    assert "Role changed" in str(settled(state.change_role(str(bob_id), "admin")))
    assert state.users_error == "" and _row(state, "bob@example.com").role == "admin"
    # the boss steps down: the console is not theirs any more
    outcome = str(settled(state.change_role(boss_id, "user")))
    assert "/dashboard" in outcome and "for administrators" in outcome


def test_disabling_a_user_ends_their_open_page_at_the_next_event(app_db):
    boss_token, bob_token, bob_id = _accounts()
    bobs_page = page_state(DashboardState, bob_token, "/dashboard")
    assert settled(bobs_page.load()) is None and bobs_page.loaded

    state = page_state(AdminState, boss_token, "/admin")
    settled(state.load())
    settled(state.ask_disable(str(bob_id), "bob@example.com"))
    assert state.confirming_disable and state.pending_disable_email == "bob@example.com"
    assert "sessions and tokens have ended" in str(settled(state.confirm_disable()))
    assert _row(state, "bob@example.com").disabled and not state.confirming_disable

    outcome = str(settled(bobs_page.load()))
    assert "/login?next=/dashboard" in outcome
    assert bobs_page.token == "" and bobs_page.user_id == 0 and bobs_page.session_notice == DISABLED
    login = page_state(LoginState, "", "/login")
    login.session_notice = bobs_page.session_notice
    settled(login.submit({"email": "bob@example.com", "password": "password-1"}))
    assert "disabled" in login.form_error and not login.token

    assert "enabled again" in str(settled(state.enable_user(str(bob_id))))
    settled(login.submit({"email": "bob@example.com", "password": "password-1"}))
    assert login.token and login.session_notice == ""
    with session_scope() as session:
        assert not stored(session, User, bob_id).disabled


def test_plans_editor_creates_and_edits_with_empty_meaning_unlimited(app_db):
    boss_token, _, _ = _accounts()
    state = page_state(AdminState, boss_token, "/admin")
    settled(state.load())
    settled(state.new_plan())
    assert state.plan_form_open and state.plan_form_new and state.plan_form["queries_per_month"] == ""
    form = {"name": "team", "title": "Team", "description": "", "price_usd_per_month": "49",
            "queries_per_month": "5,000", "sources": "", "storage_mb": "1024", "llm_usd_per_month": "2.5"}
    assert "Plan Team saved" in str(settled(state.save_plan(form)))
    assert not state.plan_form_open and state.plan_names == ["free", "pro", "team"]
    team = next(plan for plan in state.plans if plan.name == "team")
    assert team.price == "$49.00" and team.limits[:4] == ["5,000", UNLIMITED, "1,024", "$2.50"]

    settled(state.edit_plan("team"))
    assert state.plan_form["name"] == "team" and state.plan_form["queries_per_month"] == "5000"
    assert state.plan_form["llm_usd_per_month"] == "2.5" and state.plan_form["sources"] == ""
    settled(state.save_plan({**form, "name": "ignored", "queries_per_month": "lots"}))
    assert "must be a number" in state.plan_form_error and state.plan_form_open
    settled(state.save_plan({**form, "sources": "-3"}))
    assert "between 0 and" in state.plan_form_error
    settled(state.save_plan({**form, "title": "Teams", "queries_per_month": ""}))
    team = next(plan for plan in state.plans if plan.name == "team")
    assert team.title == "Teams" and team.limits[0] == UNLIMITED and not state.plan_form_open

    settled(state.new_plan())
    settled(state.save_plan({**form, "name": "pro"}))
    assert "already exists" in state.plan_form_error
    assert "not in the list" in str(settled(state.edit_plan("nope")))


def test_typed_limits_are_read_as_numbers_or_unlimited():
    assert parse_number(" 1,000 ", "Sources") == 1000 and parse_number("2.5", "Budget") == 2.5
    assert parse_number("", "Sources") is None
    assert parse_number("1e9", "Sources") == "Sources must be a number, or empty for unlimited."
