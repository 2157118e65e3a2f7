"""The LLM engine inside the real question flow: uploaded CSVs, the guard, the DuckDB sandbox, the history.

Checks what reaches the model (only the asking user's schema and history), that guard refusals
and database errors go back to it, and that an unusable model leaves the built-in engine to answer.
"""

from __future__ import annotations

import asyncio

import plotly.data
import pytest
from sqlmodel import col, select

from lumiere.db import saved_id
from lumiere.models import LlmCall, Query, Source, User
from lumiere.services import sources
from lumiere.services.ask import ask_question
from lumiere.services.auth import register_user
from lumiere.services.llm_keys import set_user_llm_key


async def _chunks(data: bytes, size: int = 16384):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _upload_tips(session, user: User) -> Source:
    data = plotly.data.tips().to_csv(index=False).encode()
    source = asyncio.run(sources.ingest_upload(session, user, filename="tips.csv", chunks=_chunks(data)))
    session.commit()
    return source


@pytest.fixture
def two_users(db_session):
    alice = register_user(db_session, email="alice@example.com", password="password-a1", name="Alice")
    bob = register_user(db_session, email="bob@example.com", password="password-b2", name="Bob")
    db_session.commit()
    return alice, bob


def _ask(session, user: User, source: Source, question: str):
    """One request: the API's session commits when the route returns."""
    answer = ask_question(session, user, source_id=saved_id(source), question=question)
    session.commit()
    return answer


def _sql_section(prompt: str, name: str) -> str:
    return prompt.split(f'<data name="{name}">\n', 1)[1].split("\n</data>", 1)[0]


def test_the_model_sees_only_the_asking_users_schema_and_history(db_session, two_users, fake_llm) -> None:
    alice, bob = two_users
    alice_tips, bob_tips = _upload_tips(db_session, alice), _upload_tips(db_session, bob)
    bob_sql = f'SELECT COUNT(*) AS smokers FROM "{bob_tips.table_name}" WHERE smoker = \'Yes\''
    fake_llm.reply_json({"sql": bob_sql, "explanation": "Bob's count."})
    _ask(db_session, bob, bob_tips, "bob private question about smokers")

    table = alice_tips.table_name
    fake_llm.reply_json({"sql": f"SELECT AVG(tip) AS avg_tip FROM {table}", "explanation": "Average tip."})
    fake_llm.reply_json({"sql": f"SELECT day, SUM(tip) AS total_tip FROM {table} GROUP BY day", "explanation": ""})
    first = _ask(db_session, alice, alice_tips, "what is the average tip?")
    second = _ask(db_session, alice, alice_tips, "total tip per day")

    tips = plotly.data.tips()
    assert first.result.rows[0][0] == pytest.approx(tips.tip.mean())
    expected = tips.groupby("day").tip.sum()
    assert {day: pytest.approx(total) for day, total in second.result.rows} == expected.to_dict()
    assert first.query.engine == second.query.engine == "llm"

    _bob_request, first_request, second_request = fake_llm.chat_requests
    assert _sql_section(first_request.messages[1]["content"], "examples") == "(none)"
    examples = _sql_section(second_request.messages[1]["content"], "examples")
    assert "what is the average tip?" in examples and "AVG(tip)" in examples
    for request in (first_request, second_request):
        prompt = request.prompt_text
        assert "bob private question" not in prompt and "smokers" not in prompt
        assert f'"table": "{table}"' in _sql_section(request.messages[1]["content"], "schema")
        assert fake_llm.api_key not in str(request.body)
    calls = db_session.exec(select(LlmCall).order_by(col(LlmCall.id))).all()
    assert [(c.user_id, c.purpose, c.outcome) for c in calls] == [
        (bob.id, "sql", "ok"), (alice.id, "sql", "ok"), (alice.id, "sql", "ok")
    ]


def test_guard_refusals_and_database_errors_go_back_to_the_model(db_session, two_users, fake_llm) -> None:
    alice, _ = two_users
    source = _upload_tips(db_session, alice)
    table = source.table_name
    fake_llm.reply_json({"sql": f"DELETE FROM {table}", "explanation": ""})
    fake_llm.reply_json({"sql": f"SELECT dya, AVG(tip) AS avg_tip FROM {table} GROUP BY dya", "explanation": ""})
    fake_llm.reply_json({"sql": f"SELECT day, AVG(tip) AS avg_tip FROM {table} GROUP BY day", "explanation": ""})
    answer = _ask(db_session, alice, source, "average tip per day")

    expected = plotly.data.tips().groupby("day").tip.mean().to_dict()
    assert {day: pytest.approx(value) for day, value in answer.result.rows} == expected
    first, second, third = fake_llm.chat_requests
    assert _sql_section(first.messages[1]["content"], "previous attempts") == "(none)"
    refused = _sql_section(second.messages[1]["content"], "previous attempts")
    assert f"DELETE FROM {table}" in refused and "SELECT" in refused.split('"error"', 1)[1]
    both = _sql_section(third.messages[1]["content"], "previous attempts").splitlines()
    assert len(both) == 2 and "dya" in both[1] and "dya" in both[1].split('"error"', 1)[1]


def test_an_unusable_model_leaves_the_answer_to_the_builtin_engine(db_session, two_users, fake_llm) -> None:
    alice, _ = two_users
    source = _upload_tips(db_session, alice)
    fake_llm.reply_status(401, {"error": {"message": f"Incorrect API key provided: {fake_llm.api_key}"}})
    answer = _ask(db_session, alice, source, "average tip by day")

    assert answer.query.engine == "builtin"
    assert any("API key" in note for note in answer.notes)
    assert all(fake_llm.api_key not in note for note in answer.notes)
    names = [column.name for column in answer.result.columns]
    day_at = names.index("day")
    by_day = {row[day_at]: row[1 - day_at] for row in answer.result.rows}
    assert by_day == {day: pytest.approx(v) for day, v in plotly.data.tips().groupby("day").tip.mean().items()}
    (call,) = db_session.exec(select(LlmCall)).all()
    assert (call.user_id, call.outcome) == (alice.id, "auth_error")
    assert fake_llm.api_key not in call.error


def test_the_users_own_key_pays_for_their_questions(db_session, two_users, fake_llm) -> None:
    alice, _ = two_users
    source = _upload_tips(db_session, alice)
    set_user_llm_key(db_session, alice, "sk-alice-own-key-0123456789")
    db_session.commit()
    fake_llm.reply_json({"sql": f"SELECT COUNT(*) AS count FROM {source.table_name}", "explanation": "Rows."})
    answer = _ask(db_session, alice, source, "how many rows?")

    assert answer.result.rows == [[len(plotly.data.tips())]]
    assert fake_llm.chat_requests[0].headers["authorization"] == "Bearer sk-alice-own-key-0123456789"
    stored = db_session.exec(select(Query).where(Query.user_id == alice.id)).all()
    assert [q.status for q in stored] == ["ok"]
