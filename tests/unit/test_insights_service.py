"""Stored insights on real sources (CSV ingested into DuckDB), on SQLite and PostgreSQL, with and without an LLM."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, fields

import plotly.data
import pytest
from sqlmodel import Session, col, select

from lumiere.api.schemas import InsightOut
from lumiere.core.enums import QueryStatus
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Insight, LlmCall, Query, User
from lumiere.services.insights import (
    compose_narrative,
    compute_facts,
    create_insight,
    delete_insight,
    list_insights,
    page_insights,
    public_insight,
    set_saved,
)
from tests.fake_llm import FakeLlm
from tests.helpers.charts import result_of
from tests.helpers.queries import make_query, make_user


@pytest.fixture
def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.commit()
    return user


def test_builtin_insight_is_composed_from_facts_and_linked_to_the_query(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path)
    insight = create_insight(db_session, owner, saved_id(query))
    expected_facts = compute_facts(
        result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day"), question="Tips by day"
    )
    assert insight.engine == "builtin" and insight.query_id == query.id and insight.user_id == owner.id
    assert [fact["kind"] for fact in insight.facts_json] == [fact["kind"] for fact in expected_facts]
    top = next(fact for fact in insight.facts_json if fact["kind"] == "top")
    assert top["items"][0]["label"] == "Sat"
    assert top["items"][0]["value"] == pytest.approx(plotly.data.tips().groupby("day")["tip"].sum()["Sat"])
    assert insight.text == compose_narrative(insight.facts_json, question="Tips by day")

    db_session.expire_all()
    stored = db_session.get(Insight, insight.id)
    shown = public_insight(stored)
    assert {field.name for field in fields(shown)} == set(InsightOut.model_fields)
    assert shown.question is None and shown.id == insight.id
    assert shown.saved is False and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown.created_at)
    assert json.loads(json.dumps(asdict(shown))) == asdict(shown)


def test_insight_for_another_users_or_a_failed_query_is_refused(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path)
    stranger = make_user(db_session)
    with pytest.raises(NotFound):
        create_insight(db_session, stranger, saved_id(query))
    failed = Query(user_id=owner.id, source_id=query.source_id, question="x", sql="SELEC", status=QueryStatus.ERROR,
                   error="bad")
    db_session.add(failed)
    db_session.flush()
    with pytest.raises(Invalid):
        create_insight(db_session, owner, saved_id(failed))
    assert db_session.exec(select(Insight)).all() == []


def test_saving_listing_and_deleting_are_per_user(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path)
    first, second, third = (create_insight(db_session, owner, saved_id(query)) for _ in range(3))
    stranger = make_user(db_session)
    assert set_saved(db_session, owner, saved_id(second), True).saved is True
    assert [i.id for i in list_insights(db_session, owner)] == [third.id, second.id, first.id]
    assert [i.id for i in list_insights(db_session, owner, saved=True)] == [second.id]
    assert [i.id for i in list_insights(db_session, owner, saved=False)] == [third.id, first.id]
    assert list_insights(db_session, stranger) == []
    page, total = page_insights(db_session, owner, page=2, page_size=2)
    assert ([i.id for i in page], total) == ([first.id], 3)
    with pytest.raises(Invalid):
        page_insights(db_session, owner, page=0)

    for action in (
        lambda: set_saved(db_session, stranger, saved_id(second), False),
        lambda: delete_insight(db_session, stranger, saved_id(second)),
    ):
        with pytest.raises(NotFound):
            action()
    assert db_session.get(Insight, second.id).saved is True
    with pytest.raises(Invalid):
        set_saved(db_session, owner, saved_id(second), "yes")  # type: ignore[arg-type]  # refused: not a bool

    delete_insight(db_session, owner, saved_id(second))
    assert db_session.get(Insight, second.id) is None
    with pytest.raises(NotFound):
        delete_insight(db_session, owner, saved_id(second))


def _llm_calls(session: Session) -> list[LlmCall]:
    session.expire_all()
    return list(session.exec(select(LlmCall).order_by(col(LlmCall.id))).all())


def test_llm_writes_the_narrative_from_the_facts(db_session, owner, tmp_path, fake_llm: FakeLlm) -> None:
    query = make_query(db_session, owner, tmp_path)
    sums = plotly.data.tips().groupby("day")["tip"].sum()
    written = f"**Saturday** brought the most tips: {sums['Sat']:,.2f}, ahead of Sunday ({sums['Sun']:,.2f})."
    fake_llm.reply_json({"text": written})
    insight = create_insight(db_session, owner, saved_id(query))
    assert insight.engine == "llm"
    assert insight.text == written

    request = fake_llm.chat_requests[0]
    prompt = request.messages[-1]["content"]
    assert '<data name="facts">' in prompt and '<data name="question">' in prompt
    facts_section = prompt.split('<data name="facts">')[1].split("</data>")[0]
    assert [fact["text"] for fact in json.loads(facts_section)] == [fact["text"] for fact in insight.facts_json]
    assert fake_llm.api_key not in json.dumps(request.body)
    calls = _llm_calls(db_session)
    assert [(call.purpose, call.outcome, call.user_id) for call in calls] == [("insight", "ok", owner.id)]


def test_llm_text_with_an_invented_number_falls_back_with_a_note(db_session, owner, tmp_path, fake_llm) -> None:
    query = make_query(db_session, owner, tmp_path)
    fake_llm.reply_json({"text": "Saturday brought in 1,000,000 in tips, 42% more than Friday."})
    insight = create_insight(db_session, owner, saved_id(query))
    assert insight.engine == "builtin"
    composed = compose_narrative(insight.facts_json, question="Tips by day")
    assert insight.text.startswith(composed)
    assert "1,000,000" in insight.text.split(composed)[1] and "not in the computed facts" in insight.text
    assert "Saturday brought in" not in insight.text


def test_unreachable_llm_falls_back_with_a_note(db_session, owner, tmp_path, fake_llm) -> None:
    query = make_query(db_session, owner, tmp_path)
    fake_llm.reply_status(401, {"error": {"message": "bad key"}})
    insight = create_insight(db_session, owner, saved_id(query))
    assert insight.engine == "builtin"
    assert "could not be reached" in insight.text
    assert [call.outcome for call in _llm_calls(db_session)] == ["auth_error"]


def test_malformed_llm_answers_are_retried(db_session, owner, tmp_path, fake_llm) -> None:
    query = make_query(db_session, owner, tmp_path)
    fake_llm.reply_json({"summary": "wrong key"}).reply_json({"text": "Tips by day, summarised."})
    insight = create_insight(db_session, owner, saved_id(query))
    assert (insight.engine, insight.text) == ("llm", "Tips by day, summarised.")
    assert [call.outcome for call in _llm_calls(db_session)] == ["invalid_output", "ok"]
