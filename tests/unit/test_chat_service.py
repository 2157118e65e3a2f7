"""Chat: conversations, their order and isolation, and follow-ups read by the engine that can
(the LLM here, against the local OpenAI-compatible test server), checked against pandas."""

from __future__ import annotations

import asyncio
import itertools
import json

import plotly.data
import pytest
from sqlmodel import select

from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import ChatMessage, Query, Source, User
from lumiere.services import chat, sources
from lumiere.services.auth import register_user


async def _chunks(data: bytes, size: int = 16384):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _upload(session, user: User, frame, name: str) -> Source:
    data = frame.to_csv(index=False).encode()
    source = asyncio.run(sources.ingest_upload(session, user, filename=f"{name}.csv", chunks=_chunks(data)))
    session.commit()
    return source


@pytest.fixture
def two_users(db_session):
    alice = register_user(db_session, email="chat-a@example.com", password="password-a1", name="Alice")
    bob = register_user(db_session, email="chat-b@example.com", password="password-b2", name="Bob")
    db_session.commit()
    return alice, bob


def _send(session, user, source, message, session_id=None):
    exchange = chat.send_message(
        session, user, source_id=saved_id(source), message=message, session_id=session_id
    )
    session.commit()
    return exchange


def _history_count(session, user) -> int:
    return len(session.exec(select(Query).where(Query.user_id == user.id)).all())


def test_a_first_message_starts_a_titled_conversation_answered_like_ask(db_session, two_users) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    exchange = _send(db_session, alice, tips, "  average tip by day  ")

    (listed,) = chat.list_sessions(db_session, alice)
    assert listed.id == exchange.session_id and listed.title == "average tip by day"
    assert listed.message_count == 2 and listed.source_id == tips.id
    reply = exchange.reply
    assert reply.role == "assistant" and reply.query_id is not None and reply.result is not None
    names = [column["name"] for column in reply.result["columns"]]
    day_at = names.index("day")
    got = {row[day_at]: row[1 - day_at] for row in reply.result["rows"]}
    expected = plotly.data.tips().groupby("day").tip.mean()
    assert got == {day: pytest.approx(value) for day, value in expected.items()}
    assert reply.result["chart"] is not None and reply.result["sql"].upper().startswith("SELECT")
    json.dumps(reply.result)  # stored as plain JSON
    assert _history_count(db_session, alice) == 1  # the answer is a history entry too


def test_history_is_oldest_first_and_every_turn_is_kept(db_session, two_users) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    first = _send(db_session, alice, tips, "total bill by day")
    _send(db_session, alice, tips, "how many rows are there", session_id=first.session_id)
    messages = chat.history(db_session, alice, first.session_id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m.text for m in messages[::2]] == ["total bill by day", "how many rows are there"]
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    assert chat.list_sessions(db_session, alice)[0].message_count == 4
    assert _history_count(db_session, alice) == 2


def test_sessions_are_listed_latest_first_searched_renamed_and_deleted(db_session, two_users) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    older = _send(db_session, alice, tips, "total tip by sex")
    newer = _send(db_session, alice, tips, "average total bill by time")
    assert [s.id for s in chat.list_sessions(db_session, alice)] == [newer.session_id, older.session_id]
    assert [s.id for s in chat.list_sessions(db_session, alice, search="SEX")] == [older.session_id]

    renamed = chat.rename(db_session, alice, older.session_id, "  Tips  by sex ")
    assert renamed.title == "Tips by sex" and renamed.message_count == 2
    for bad in ("", "   ", "x" * 201, 5):
        with pytest.raises(Invalid, match="title"):
            chat.rename(db_session, alice, older.session_id, bad)

    entries = _history_count(db_session, alice)
    chat.delete(db_session, alice, older.session_id)
    db_session.commit()
    assert [s.id for s in chat.list_sessions(db_session, alice)] == [newer.session_id]
    assert db_session.exec(select(ChatMessage).where(ChatMessage.session_id == older.session_id)).all() == []
    assert _history_count(db_session, alice) == entries  # the history entries stay
    with pytest.raises(NotFound):
        chat.history(db_session, alice, older.session_id)


def test_another_users_conversation_is_not_found(db_session, two_users) -> None:
    alice, bob = two_users
    alice_tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    bob_tips = _upload(db_session, bob, plotly.data.tips(), "tips")
    exchange = _send(db_session, alice, alice_tips, "total tip by day")
    for call in (
        lambda: chat.history(db_session, bob, exchange.session_id),
        lambda: chat.rename(db_session, bob, exchange.session_id, "mine"),
        lambda: chat.delete(db_session, bob, exchange.session_id),
        lambda: chat.send_message(
            db_session, bob, source_id=saved_id(bob_tips), message="top 3", session_id=exchange.session_id
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert chat.list_sessions(db_session, bob) == []
    assert len(chat.history(db_session, alice, exchange.session_id)) == 2


def test_a_message_for_another_source_of_the_conversation_is_refused(db_session, two_users) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    iris = _upload(db_session, alice, plotly.data.iris(), "iris")
    exchange = _send(db_session, alice, tips, "total tip by day")
    with pytest.raises(Invalid, match=f"about data source {tips.id}, not {iris.id}") as raised:
        chat.send_message(
            db_session, alice, source_id=saved_id(iris), message="by species", session_id=exchange.session_id
        )
    assert raised.value.extra["field"] == "source_id"
    assert len(chat.history(db_session, alice, exchange.session_id)) == 2


@pytest.mark.parametrize("message", ["", "   ", "x" * 1001, 42, None, "a\x00b"])
def test_a_bad_message_is_refused_and_nothing_is_written(db_session, two_users, message) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    with pytest.raises(Invalid) as raised:
        chat.send_message(db_session, alice, source_id=saved_id(tips), message=message)
    assert raised.value.extra["field"] == "message"
    assert chat.list_sessions(db_session, alice) == []


def test_a_question_that_cannot_be_answered_is_a_reply_with_suggestions(db_session, two_users) -> None:
    alice, _ = two_users
    tips = _upload(db_session, alice, plotly.data.tips(), "tips")
    exchange = _send(db_session, alice, tips, "what is the airspeed velocity of an unladen swallow")
    assert exchange.reply.result is None and exchange.reply.query_id is None
    assert "You could ask:" in exchange.reply.text
    assert chat.list_sessions(db_session, alice)[0].message_count == 2


# --- the LLM reads follow-ups ---------------------------------------------------------------------


def _llm_user(db_session, fake_llm):  # the server's key (fake_llm's settings) serves every user
    return register_user(db_session, email="chat-llm@example.com", password="password-l1", name="L")


def test_llm_follow_up_carries_the_previous_sql_and_is_answered_standalone(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    first_sql = f"SELECT day, AVG(tip) AS avg_tip FROM {table} GROUP BY day"
    fake_llm.reply_json({"sql": first_sql, "explanation": "Average tip per day."})
    first = _send(db_session, user, tips, "average tip by day")

    refined_sql = f"SELECT day, AVG(tip) AS avg_tip FROM {table} WHERE smoker = 'Yes' GROUP BY day"
    fake_llm.reply_json({"reply": "Only smokers.", "question": "average tip by day for smokers", "sql": refined_sql,
                         "chart": None})
    second = _send(db_session, user, tips, "only for smokers", session_id=first.session_id)

    prompt = fake_llm.chat_requests[-1].prompt_text
    conversation = prompt.split('<data name="conversation so far">')[1].split("</data>")[0]
    assert "AVG(tip)" in conversation and "GROUP BY" in conversation and "average tip by day" in conversation
    assert '"only for smokers"' in prompt.split('<data name="latest message">')[1]
    frame = plotly.data.tips()
    expected = frame[frame.smoker == "Yes"].groupby("day").tip.mean()
    assert dict(second.reply.result["rows"]) == {d: pytest.approx(v) for d, v in expected.items()}
    entry = db_session.get(Query, second.reply.query_id)
    assert entry.question == "average tip by day for smokers" and "smoker" in entry.sql
    assert second.reply.result["question"] == "average tip by day for smokers"
    stored = db_session.exec(select(ChatMessage).where(ChatMessage.id == second.reply.id)).one()
    assert stored.standalone_question == "average tip by day for smokers" and "smoker" in stored.sql


def test_llm_chart_only_answer_recharts_without_running_a_query(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    fake_llm.reply_json({"sql": f"SELECT day, SUM(total_bill) AS total FROM {table} GROUP BY day ORDER BY day",
                         "explanation": ""})
    first = _send(db_session, user, tips, "total bill by day")
    entries = _history_count(db_session, user)

    fake_llm.reply_json({"reply": "As a pie.", "sql": None, "chart": {"type": "pie", "x": "day", "y": "total"}})
    second = _send(db_session, user, tips, "make it a pie", session_id=first.session_id)
    assert second.reply.result["chart"]["type"] == "pie"
    assert second.reply.result["rows"] == first.reply.result["rows"]
    assert second.reply.query_id == first.reply.query_id
    assert _history_count(db_session, user) == entries  # no new history entry: nothing ran

    # the next follow-up reads against the re-charted turn, which kept the SQL
    fake_llm.reply_json({"reply": "", "question": "top 3 days by total bill", "chart": None,
                         "sql": f"SELECT day, SUM(total_bill) AS total FROM {table} GROUP BY day "
                                "ORDER BY total DESC LIMIT 3"})
    third = _send(db_session, user, tips, "top 3", session_id=first.session_id)
    assert "SUM(total_bill)" in fake_llm.chat_requests[-1].prompt_text
    expected = plotly.data.tips().groupby("day").total_bill.sum().nlargest(3)
    assert [row[0] for row in third.reply.result["rows"]] == list(expected.index)


def test_llm_failed_follow_up_sql_is_corrected_through_the_guard(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    fake_llm.reply_json({"sql": f"SELECT sex, COUNT(*) AS n FROM {table} GROUP BY sex", "explanation": ""})
    first = _send(db_session, user, tips, "count by sex")
    fake_llm.reply_json({"reply": "", "question": "q", "sql": f"DROP TABLE {table}", "chart": None})
    fake_llm.reply_json({"reply": "", "question": "count by sex at dinner", "chart": None,
                         "sql": f"SELECT sex, COUNT(*) AS n FROM {table} WHERE time = 'Dinner' GROUP BY sex"})
    second = _send(db_session, user, tips, "only at dinner", session_id=first.session_id)
    frame = plotly.data.tips()
    assert dict(second.reply.result["rows"]) == frame[frame.time == "Dinner"].groupby("sex").size().to_dict()
    retry = fake_llm.chat_requests[-1].prompt_text
    assert "DROP TABLE" in retry and '"error"' in retry


def test_llm_clarifying_question_is_a_reply_without_result(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    fake_llm.reply_json({"sql": f"SELECT AVG(tip) AS avg_tip FROM {tips.table_name}", "explanation": ""})
    first = _send(db_session, user, tips, "average tip")
    fake_llm.reply_json({"reply": "Which one do you mean: the tip or the total bill?", "sql": None, "chart": None})
    second = _send(db_session, user, tips, "and the other one?", session_id=first.session_id)
    assert second.reply.result is None and second.reply.text.startswith("Which one do you mean")


def test_llm_follow_up_reply_streams_while_the_model_writes(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    fake_llm.reply_json({"sql": f"SELECT time, SUM(tip) AS tips FROM {table} GROUP BY time", "explanation": ""})
    first = _send(db_session, user, tips, "total tips by time")
    said = "Here are the tips for Saturday only, split by lunch and dinner."
    fake_llm.reply_json({"reply": said, "question": "total tips by time on Saturday", "chart": None,
                         "sql": f"SELECT time, SUM(tip) AS tips FROM {table} WHERE day = 'Sat' GROUP BY time"})
    heard: list[str] = []
    exchange = chat.send_message(db_session, user, source_id=saved_id(tips), message="and on Saturday?",
                                 session_id=first.session_id, on_partial=heard.append)
    db_session.commit()

    assert fake_llm.chat_requests[-1].body["stream"] is True
    assert len(heard) >= 4 and heard[-1] == said  # many growing pieces, ending with the whole reply
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(heard))
    assert exchange.reply.text.startswith("Refined: “total tips by time on Saturday”. " + said)
    frame = plotly.data.tips()
    expected = frame[frame.day == "Sat"].groupby("time").tip.sum()
    assert exchange.reply.result is not None
    assert dict(exchange.reply.result["rows"]) == {k: pytest.approx(v) for k, v in expected.items()}


# --- the built-in engine reads follow-ups ---------------------------------------------------------


def test_builtin_follow_up_refines_the_first_answer_then_only_recharts(db_session, two_users) -> None:
    """The first turn keeps the engine's reading, so the next message refines it instead of being refused."""
    alice, _ = two_users
    gapminder = sources.load_sample_dataset(db_session, alice)
    db_session.commit()
    first = _send(db_session, alice, gapminder, "average life expectancy by continent")
    stored = db_session.exec(select(ChatMessage).where(ChatMessage.id == first.reply.id)).one()
    assert stored.reading_json is not None and stored.reading_json.get("table") == "gapminder"

    second = _send(db_session, alice, gapminder, "only for 2007", session_id=first.session_id)
    frame = plotly.data.gapminder()
    expected = frame[frame.year == 2007].groupby("continent").lifeExp.mean()
    assert second.reply.result is not None and second.reply.query_id != first.reply.query_id
    assert dict(second.reply.result["rows"]) == {k: pytest.approx(v) for k, v in expected.items()}
    assert second.reply.text.startswith("Refined: “") and "2007" in second.reply.text
    refined = db_session.exec(select(ChatMessage).where(ChatMessage.id == second.reply.id)).one()
    assert "2007" in refined.standalone_question and "2007" in refined.sql
    entries = _history_count(db_session, alice)

    # (a pie of averages is refused: they are not parts of a whole)
    third = _send(db_session, alice, gapminder, "as a line chart", session_id=first.session_id)
    assert third.reply.result is not None and third.reply.result["chart"]["type"] == "line"
    assert third.reply.result["rows"] == second.reply.result["rows"]
    assert third.reply.query_id == second.reply.query_id
    assert _history_count(db_session, alice) == entries  # re-charting runs no query

    fourth = _send(db_session, alice, gapminder, "what about the airspeed?", session_id=first.session_id)
    assert fourth.reply.result is None and fourth.reply.query_id is None
    assert "could not tell what to change" in fourth.reply.text and "You could ask:" in fourth.reply.text


def test_llm_first_turn_streams_its_explanation_while_the_model_writes(db_session, fake_llm) -> None:
    """A first message goes through Ask's LLM loop, and its words reach the page as they come, like a follow-up's."""
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    said = "The average tip for each day of the week, from Thursday to Sunday."
    fake_llm.reply_json({"sql": f"SELECT day, AVG(tip) AS avg_tip FROM {table} GROUP BY day", "explanation": said})
    heard: list[str] = []
    exchange = chat.send_message(db_session, user, source_id=saved_id(tips), message="average tip by day",
                                 on_partial=heard.append)
    db_session.commit()

    assert fake_llm.chat_requests[-1].body["stream"] is True
    assert len(heard) >= 4 and heard[-1] == said  # many growing pieces, ending with the whole explanation
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(heard))
    assert exchange.reply.text.startswith(said)
    expected = plotly.data.tips().groupby("day").tip.mean()
    assert exchange.reply.result is not None
    assert dict(exchange.reply.result["rows"]) == {k: pytest.approx(v) for k, v in expected.items()}


def test_llm_first_turn_refusal_streams_its_reason_and_corrections_stay_quiet(db_session, fake_llm) -> None:
    user = _llm_user(db_session, fake_llm)
    tips = _upload(db_session, user, plotly.data.tips(), "tips")
    table = tips.table_name
    # a failed first try streams; its correction is not shown while it is written
    fake_llm.reply_json({"sql": f"SELECT nope FROM {table}", "explanation": "First try."})
    fake_llm.reply_json({"sql": f"SELECT COUNT(*) AS n FROM {table}", "explanation": "Rows counted."})
    heard: list[str] = []
    exchange = chat.send_message(db_session, user, source_id=saved_id(tips), message="how many rows",
                                 on_partial=heard.append)
    db_session.commit()
    assert [request.body.get("stream") for request in fake_llm.chat_requests[-2:]] == [True, None]
    assert heard and set(heard) <= {"First try."[:n] for n in range(1, 11)}
    assert exchange.reply.result is not None and exchange.reply.result["rows"] == [[len(plotly.data.tips())]]

    reason = "The data holds restaurant bills, not the weather."
    fake_llm.reply_json({"sql": None, "reason": reason})
    heard.clear()
    refused = chat.send_message(db_session, user, source_id=saved_id(tips), message="will it rain tomorrow",
                                on_partial=heard.append)
    assert heard and heard[-1] == reason
    assert refused.reply.result is None and reason in refused.reply.text
