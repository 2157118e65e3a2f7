"""The built-in engine inside the real question flow, where its SQL meets the database."""

from __future__ import annotations

import asyncio

import plotly.data
import pytest
from sqlmodel import select

from lumiere.core.engine import CannotAnswer, GeneratedSQL
from lumiere.core.enums import Engine
from lumiere.db import saved_id
from lumiere.models import Query
from lumiere.nlq.engine import BuiltinEngine
from lumiere.services import sources
from lumiere.services.ask import ask_question
from lumiere.services.auth import register_user


async def _chunks(data: bytes, size: int = 16384):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_sql_the_database_rejects_is_a_misreading_with_suggestions(db_session, monkeypatch) -> None:
    """An engine gap (a column outside GROUP BY) must reach the user as 'rephrase', not as a database error."""
    user = register_user(db_session, email="ada@example.com", password="password-a1", name="Ada")
    data = plotly.data.tips().to_csv(index=False).encode()
    source = asyncio.run(sources.ingest_upload(db_session, user, filename="tips.csv", chunks=_chunks(data)))
    db_session.commit()
    misread = 'SELECT "day", "tip" FROM "tips" GROUP BY "day"'
    monkeypatch.setattr(
        BuiltinEngine, "generate", lambda self, question, context, **_: GeneratedSQL(sql=misread, engine=Engine.BUILTIN)
    )

    with pytest.raises(CannotAnswer) as refusal:
        ask_question(db_session, user, source_id=saved_id(source), question="tip of each day")
    db_session.commit()

    assert refusal.value.status_code == 422
    assert "misread" in refusal.value.detail and "GROUP BY" in refusal.value.detail
    assert refusal.value.suggestions and all(isinstance(s, str) for s in refusal.value.suggestions)
    (recorded,) = db_session.exec(select(Query)).all()
    assert recorded.status == "error" and " ".join(recorded.sql.split()) == misread
