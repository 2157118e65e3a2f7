"""/api/queries: the history of questions, edits and re-runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query as QueryParam
from fastapi import Response

from lumiere.api.deps import AskingUser, CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import FeedbackIn, IdPath, QueryList, QueryOut, ResultOut, WorkspaceParam
from lumiere.core.enums import QueryStatus
from lumiere.services.ask import AnswerView, public_answer, rerun_query
from lumiere.services.feedback import record_feedback
from lumiere.services.history import (
    HistoryEntry,
    HistoryFilter,
    delete_query,
    get_query,
    list_queries,
    live_source_ids,
    public_query,
)
from lumiere.services.workspaces import names_of

router = Router(prefix="/api/queries", tags=["history"])


@router.get("", response_model=QueryList)
def list_history(
    user: CurrentUser,
    session: DbSession,
    search: Annotated[str | None, QueryParam(max_length=200)] = None,
    source_id: Annotated[int | None, QueryParam(ge=1, le=2**53)] = None,
    status: QueryStatus | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: Annotated[int, QueryParam(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, QueryParam(ge=1, le=200)] = 50,
    workspace_id: WorkspaceParam = None,
) -> dict[str, Any]:
    """One space's history: yours (no `workspace_id`), or a workspace's, every member's questions with who asked."""
    filters = HistoryFilter(search=search, source_id=source_id, status=status, date_from=date_from, date_to=date_to)
    items, total = list_queries(session, user, filters, page=page, page_size=page_size, workspace_id=workspace_id)
    live = live_source_ids(session, user)
    names = names_of(session, {item.user_id for item in items})
    return {
        "items": [
            public_query(item, source_exists=item.source_id in live, created_by=names.get(item.user_id))
            for item in items
        ],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


@router.get("/{query_id}", response_model=QueryOut)
def get_one(query_id: IdPath, user: CurrentUser, session: DbSession) -> HistoryEntry:
    query = get_query(session, user, query_id)
    return public_query(query, source_exists=query.source_id in live_source_ids(session, user))


@router.post("/{query_id}/rerun", response_model=ResultOut)
def rerun(query_id: IdPath, user: AskingUser, session: DbSession) -> AnswerView:
    return public_answer(rerun_query(session, user, query_id))


FEEDBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The corrected SQL was refused by the guard or rejected by the database"},
    404: {"description": "No such query in your history (or its source was deleted, for a correction)"},
    408: {"description": "The corrected SQL ran longer than the time limit"},
    422: {"description": "A verdict other than 'up'/'down', SQL with 'up', or a thumbs up on a failed query"},
}


@router.post("/{query_id}/feedback", response_model=QueryOut, responses=FEEDBACK_ERRORS)
def give_feedback(query_id: IdPath, body: FeedbackIn, user: CurrentUser, session: DbSession) -> HistoryEntry:
    """Thumbs up stores the question's SQL for reuse; thumbs down forgets it, or replaces it by `sql`."""
    result = record_feedback(session, user, query_id, body.verdict, body.sql)
    return public_query(result.query, source_exists=result.query.source_id in live_source_ids(session, user))


@router.delete("/{query_id}", status_code=204)
def delete(query_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    delete_query(session, user, query_id)
    return Response(status_code=204)
