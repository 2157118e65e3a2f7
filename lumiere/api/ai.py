"""/api/ai/query and /api/ai/sql: a question or the user's own SQL -> rows (and a chart)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lumiere.api.deps import AskingUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import ResultOut
from lumiere.services.ask import AnswerView, ask_question, public_answer, run_sql

router = Router(prefix="/api/ai", tags=["ask"])


class QuestionIn(BaseModel):
    source_id: int = Field(ge=1, le=2**53)
    question: str = Field(max_length=5000)


class SqlIn(BaseModel):
    source_id: int = Field(ge=1, le=2**53)
    sql: str = Field(max_length=100_000)
    question: str = Field(
        default="",
        max_length=5000,
        description="The question this SQL answers, if any: when the SQL runs, the question reuses it from then on",
    )
    query_id: int | None = Field(
        default=None, ge=1, le=2**53, description="The history entry whose question this SQL is an edit of"
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "SQL refused by the guard or rejected by the database"},
    404: {"description": "No such source (or not yours)"},
    408: {"description": "The query ran longer than the time limit"},
    422: {"description": "The question could not be answered; `suggestions` lists ones that can"},
    429: {"description": "Too many questions this minute (the plan's requests_per_minute); see Retry-After"},
}


@router.post("/query", response_model=ResultOut, responses=ERRORS)
def query(body: QuestionIn, user: AskingUser, session: DbSession) -> AnswerView:
    return public_answer(ask_question(session, user, source_id=body.source_id, question=body.question))


@router.post("/sql", response_model=ResultOut, responses=ERRORS)
def sql(body: SqlIn, user: AskingUser, session: DbSession) -> AnswerView:
    return public_answer(
        run_sql(session, user, source_id=body.source_id, sql=body.sql, question=body.question, query_id=body.query_id)
    )
