"""LLM chart proposals (validated like user input) and the chart saved on a query, on real sources."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from lumiere.charts import ChartSpec, chart_payload, saved_chart_payload
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.llm.client import client_for_user
from lumiere.models import LlmCall, Query, User
from lumiere.services.charts import chart_for_query, propose_chart
from tests.fake_llm import FakeLlm
from tests.helpers.charts import assert_inert, result_of
from tests.helpers.queries import make_query, make_user
from tests.helpers.rows import present

BY_DAY_AND_TIME = 'SELECT "day", "time", SUM(tip) AS tips, COUNT(*) AS n FROM tips GROUP BY ALL'


@pytest.fixture
def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.commit()
    return user


def test_a_valid_proposal_becomes_the_spec(app_db, fake_llm: FakeLlm) -> None:
    result = result_of(BY_DAY_AND_TIME)
    fake_llm.reply_json({"type": "bar", "x": "day", "y": "n", "color": "time", "title": "ignored"})
    spec = propose_chart(result, question="Visits by day", client=present(client_for_user(None)), user_id=None)
    assert spec == ChartSpec("bar", "day", "n", "time", "Visits by day")
    prompt = fake_llm.chat_requests[0].messages[-1]["content"]
    columns = json.loads(prompt.split('<data name="columns">')[1].split("</data>")[0])
    assert [column["name"] for column in columns] == ["day", "time", "tips", "n"]
    samples = json.loads(prompt.split('<data name="sample rows">')[1].split("</data>")[0])
    assert len(samples) == 5 and samples[0] == result.rows[0]
    assert "bar, line, area, pie, scatter, histogram, kpi, table" in prompt


def test_a_proposal_naming_a_missing_column_is_sent_back_with_the_valid_ones(app_db, fake_llm) -> None:
    result = result_of(BY_DAY_AND_TIME)
    fake_llm.reply_json({"type": "bar", "x": "weekday", "y": "n"}).reply_json({"type": "pie", "x": "day", "y": "n"})
    spec = present(propose_chart(result, question="", client=present(client_for_user(None))))
    assert (spec.type, spec.x, spec.y) == ("pie", "day", "n")
    correction = fake_llm.chat_requests[1].messages[-1]["content"]
    assert "weekday" in correction and all(name in correction for name in ("day", "time", "tips", "n"))


@pytest.mark.parametrize(
    "answer",
    [{"type": "sankey", "x": "day", "y": "n"}, {"type": "line", "x": "day", "y": "time"}, {"chart": "bar"}, ["bar"]],
)
def test_a_proposal_that_never_fits_gives_none(app_db, fake_llm, answer) -> None:
    for _ in range(4):
        fake_llm.reply_text(json.dumps(answer))
    assert propose_chart(result_of(BY_DAY_AND_TIME), question="q", client=present(client_for_user(None))) is None


def test_an_unreachable_llm_gives_none(app_db, fake_llm) -> None:
    fake_llm.reply_status(401, {"error": {"message": "no"}})
    assert propose_chart(result_of(BY_DAY_AND_TIME), question="q", client=present(client_for_user(None))) is None


def test_first_chart_of_a_query_is_proposed_by_the_llm_then_saved(db_session, owner, tmp_path, fake_llm) -> None:
    query = make_query(db_session, owner, tmp_path, sql=BY_DAY_AND_TIME, question="Tips by day and time")
    query.chart_json = None  # as if chosen before charts were saved
    db_session.commit()
    fake_llm.reply_json({"type": "bar", "x": "day", "y": "tips", "color": "time"})
    chart = chart_for_query(db_session, owner, saved_id(query))
    assert (chart["type"], chart["x"], chart["y"], chart["color"]) == ("bar", "day", "tips", "time")
    assert chart["title"] == "Tips by day and time"
    assert db_session.get(Query, query.id).chart_json == {
        "type": "bar",
        "x": "day",
        "y": "tips",
        "color": "time",
        "title": "Tips by day and time",
    }
    calls = list(db_session.exec(select(LlmCall)).all())
    assert [(c.purpose, c.outcome) for c in calls] == [("chart", "ok")]

    again = chart_for_query(db_session, owner, saved_id(query))  # the saved choice: no second LLM call
    assert again["figure"] == chart["figure"] and len(fake_llm.chat_requests) == 1


def test_override_is_validated_saved_and_reused(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path, sql=BY_DAY_AND_TIME, question="Tips by day and time")
    chart = chart_for_query(db_session, owner, saved_id(query), override={"type": "line", "x": "day", "y": "n"})
    assert (chart["type"], chart["x"], chart["y"]) == ("line", "day", "n")
    saved = db_session.get(Query, query.id).chart_json
    assert saved["type"] == "line" and saved["title"] == "Tips by day and time"

    # only the type: the columns stay where they fit
    chart = chart_for_query(db_session, owner, saved_id(query), override={"type": "bar"})
    assert (chart["type"], chart["x"], chart["y"]) == ("bar", "day", "n")
    chart = chart_for_query(db_session, owner, saved_id(query), override={"title": "Visits"})
    assert (chart["type"], chart["y"], chart["title"]) == ("bar", "n", "Visits")

    before = dict(db_session.get(Query, query.id).chart_json)
    with pytest.raises(Invalid) as caught:
        chart_for_query(db_session, owner, saved_id(query), override={"type": "bar", "x": "secret_column", "y": "n"})
    assert "day, time, tips, n" in caught.value.detail
    assert db_session.get(Query, query.id).chart_json == before

    assert chart_for_query(db_session, owner, saved_id(query))["title"] == "Visits"
    query, result = db_session.get(Query, query.id), result_of(BY_DAY_AND_TIME)
    assert saved_chart_payload(query, result)["title"] == "Visits"


def test_a_saved_chart_that_no_longer_fits_is_chosen_again(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path, sql=BY_DAY_AND_TIME, question="Tips")
    query.chart_json = {"type": "bar", "x": "weekday", "y": "n", "color": None, "title": "old"}
    db_session.commit()
    chart = chart_for_query(db_session, owner, saved_id(query))
    assert chart["x"] in ("day", "time") and chart["title"] == "Tips"
    assert db_session.get(Query, query.id).chart_json["x"] == chart["x"]


def test_another_users_query_is_not_found(db_session, owner, tmp_path) -> None:
    query = make_query(db_session, owner, tmp_path)
    with pytest.raises(NotFound):
        chart_for_query(db_session, make_user(db_session), saved_id(query), override={"type": "table"})
    with pytest.raises(Invalid):
        chart_for_query(db_session, owner, saved_id(query), theme="sepia")


def test_a_hostile_llm_proposal_is_only_ever_data(app_db, fake_llm) -> None:
    result = result_of(BY_DAY_AND_TIME)
    fake_llm.reply_json(
        {
            "type": "bar",
            "x": "day",
            "y": "tips",
            "color": None,
            "title": "<script>alert(1)</script>",
            "figure": {"onclick": "javascript:alert(1)"},
        }
    )
    spec = propose_chart(result, question="<img src=x onerror=alert(1)>", client=present(client_for_user(None)))
    payload = chart_payload(present(spec), result)
    assert_inert(payload["figure"])
    assert "onclick" not in json.dumps(payload)
