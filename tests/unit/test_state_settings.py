"""The Settings page's state without a browser: one load fills every section, and each handler
calls the same service as the REST route and shows its answer or its error where it belongs."""

from __future__ import annotations

from sqlmodel import select

from lumiere.db import session_scope
from lumiere.models import ApiToken, User
from lumiere.services.auth import issue_token, register_user, user_from_token
from lumiere.services.plans import create_plan
from lumiere.services.sources import load_sample_dataset
from lumiere.state.auth import AuthState
from lumiere.state.settings import SettingsState
from tests.helpers.page_state import handler, page_state, settled
from tests.helpers.rows import stored

PASSWORD = "correct horse"


def _signed_in(email: str = "grace@example.com") -> tuple[int, str]:
    with session_scope() as session:
        register_user(session, email="first-admin@example.com", password=PASSWORD, name="Admin")
        user = register_user(session, email=email, password=PASSWORD, name="Grace")
        return user.id or 0, issue_token(user).access_token


def test_one_load_fills_usage_plans_tokens_and_llm(app_db):
    _, token = _signed_in()
    state = page_state(SettingsState, token, "/settings")
    outcome = settled(state.load())
    assert "scrollIntoView" in str(outcome) and state.loaded
    assert [meter.key for meter in state.usage_meters] == [
        "queries", "llm", "sources", "storage", "schedules", "share_links",
    ]
    queries = state.usage_meters[0]
    assert queries.summary == "0 / 1,000" and queries.percent == 0 and not queries.unlimited
    assert state.usage_meters[1].summary == "$0.00 / $1.00"
    assert [(card.name, card.current) for card in state.plan_cards] == [("free", True), ("pro", False)]
    assert [card.price for card in state.plan_cards] == ["$0 / month", "$20 / month"]
    assert "20,000 queries a month" in state.plan_cards[1].limits
    assert state.api_tokens == [] and not state.llm_has_key and state.user_theme == "system"

    signed_out = page_state(SettingsState, "", "/settings")
    assert "/login?next=/settings" in str(settled(signed_out.load()))


def test_switching_plans_and_a_downgrade_that_does_not_fit(app_db):
    user_id, token = _signed_in()
    with session_scope() as session:
        create_plan(session, name="tiny", title="Tiny", limits={"sources": 0})
        load_sample_dataset(session, stored(session, User, user_id))
    state = page_state(SettingsState, token, "/settings")
    settled(state.load())
    assert "You are on the Pro plan" in str(settled(state.switch_plan("pro")))
    assert state.user_plan == "pro" and [card.current for card in state.plan_cards if card.name == "pro"] == [True]
    assert next(meter for meter in state.usage_meters if meter.key == "sources").summary == "1 / 250"
    settled(state.switch_plan("tiny"))
    assert "Remove first: 1 data source(s)" in state.plan_error and state.user_plan == "pro"
    settled(state.switch_plan(["not", "a", "name"]))
    assert "no plan named" in state.plan_error


def test_a_token_is_shown_once_then_listed_and_revoked(app_db):
    _, token = _signed_in()
    state = page_state(SettingsState, token, "/settings")
    settled(state.load())
    assert settled(state.create_api_token({"token_name": ""})) is None and "Give the token a name" in state.token_error
    settled(state.create_api_token({"token_name": "report script"}))
    plain = state.new_token
    assert plain.startswith("lum_") and state.new_token_name == "report script" and state.token_error == ""
    (row,) = state.api_tokens
    assert row.name == "report script" and plain.startswith(row.prefix.rstrip("…")) and row.last_used == "Never"
    with session_scope() as session:
        assert user_from_token(session, plain).email == "grace@example.com"
    state.dismiss_new_token()
    assert state.new_token == ""
    assert "not valid" in str(settled(handler(SettingsState.revoke_api_token)(state, "x")))
    assert "Token revoked" in str(settled(state.revoke_api_token(row.id)))
    assert state.api_tokens == []
    with session_scope() as session:
        assert session.exec(select(ApiToken)).all() == []


def test_llm_errors_show_next_to_their_field_and_the_key_never_comes_back(app_db):
    _, token = _signed_in()
    state = page_state(SettingsState, token, "/settings")
    settled(state.load())
    settled(state.save_llm({"api_key": "", "base_url": "http://10.0.0.5/v1", "model": ""}))
    assert state.llm_field == "base_url" and "private" in state.llm_error
    assert "saved" in str(settled(state.save_llm({"api_key": "sk-own-123", "base_url": "", "model": "gpt-4.1"})))
    assert state.llm_has_key and state.llm_model == "gpt-4.1" and state.llm_base_url == ""
    assert "sk-own" not in str(state.dict())
    settled(state.save_llm({"api_key": "", "base_url": "", "model": "gpt-4.1-mini"}))  # a blank key keeps the key
    assert state.llm_has_key and state.llm_model == "gpt-4.1-mini"
    assert "removed" in str(settled(state.remove_llm_key()))
    assert not state.llm_has_key and state.llm_model == ""
    settled(state.check_llm())
    assert not state.llm_test_ok and "Save your API key first" in state.llm_test_detail and not state.llm_testing


def test_the_theme_is_stored_and_comes_back_on_the_next_load(app_db):
    user_id, token = _signed_in()
    state = page_state(SettingsState, token, "/settings")
    settled(state.load())
    assert settled(state.save_theme("dark")) is None and state.user_theme == "dark"
    assert "appearance is one of" in str(settled(handler(AuthState.save_theme)(state, "neon")))
    elsewhere = page_state(SettingsState, token, "/settings")  # another browser: a fresh state
    assert elsewhere.user_theme == ""
    settled(elsewhere.load())
    assert elsewhere.user_theme == "dark"
    with session_scope() as session:
        assert stored(session, User, user_id).theme == "dark"


def test_the_old_profile_address_goes_to_settings(app_db):
    assert "/settings" in str(page_state(AuthState, "", "/profile").go_to_settings())


def test_deleting_the_account_shows_what_went_and_signs_out(app_db):
    user_id, token = _signed_in()
    with session_scope() as session:
        load_sample_dataset(session, stored(session, User, user_id))
    state = page_state(SettingsState, token, "/settings")
    settled(state.load())
    state.set_delete_open(True)
    assert state.delete_open
    settled(state.delete_my_account({"delete_password": "wrong password"}))
    assert "not correct" in state.delete_error and state.delete_open and state.user_id == user_id
    settled(state.delete_my_account({"delete_password": PASSWORD}))
    assert state.deleted_email == "grace@example.com" and not state.delete_open
    assert state.deleted_lines[:2] == ["1 data source (0 database connections with their passwords)", "1 dataset file"]
    assert state.token == "" and state.user_id == 0 and not state.is_authenticated
    with session_scope() as session:
        assert session.get(User, user_id) is None


def test_meters_say_unlimited_and_turn_red_near_the_limit():
    from datetime import UTC, datetime

    from lumiere.core.usage import PlanLimits, UsageReport, UsedThisPeriod
    from lumiere.state.settings_plan import period_text, usage_meters

    report = UsageReport(
        plan="team", plan_title="Team", period_start=datetime(2026, 2, 1, tzinfo=UTC),
        period_end=datetime(2026, 3, 1, tzinfo=UTC), used=UsedThisPeriod(queries=95, sources=4, storage_mb=12.5),
        limits=PlanLimits(queries_per_month=100, sources=5, storage_mb=None, llm_usd_per_month=0),
    )
    meters = {meter.key: meter for meter in usage_meters(report)}
    assert (meters["queries"].summary, meters["queries"].percent, meters["queries"].color) == ("95 / 100", 95, "red")
    assert (meters["sources"].percent, meters["sources"].color) == (80, "amber")
    assert meters["storage"].summary == "12.50 MB / unlimited" and meters["storage"].unlimited
    assert meters["llm"].summary == "$0.00 / $0.00" and meters["llm"].percent == 100
    assert period_text(report) == "February 1 to 28, 2026 (UTC)"
