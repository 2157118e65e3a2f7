"""/api/insights: the user's insights, saved ones for later, and removal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query as QueryParam
from fastapi import Response
from pydantic import StrictBool

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath, InsightList, InsightOut, StrictModel, WorkspaceParam
from lumiere.services.insights import (
    MAX_PAGE_SIZE,
    InsightView,
    delete_insight,
    page_insights,
    public_insight,
    questions_for,
    set_saved,
)
from lumiere.services.workspaces import names_of

router = Router(prefix="/api/insights", tags=["charts and insights"])


class InsightPatchIn(StrictModel):
    saved: StrictBool


@router.get("", response_model=InsightList)
def list_all(
    user: CurrentUser,
    session: DbSession,
    saved: bool | None = None,
    page: Annotated[int, QueryParam(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, QueryParam(ge=1, le=MAX_PAGE_SIZE)] = 50,
    workspace_id: WorkspaceParam = None,
) -> dict[str, Any]:
    """One space's insights: yours (no `workspace_id`), or a workspace's, with who saved each."""
    items, total = page_insights(
        session, user, saved=saved, page=page, page_size=page_size, workspace_id=workspace_id
    )
    questions = questions_for(session, items)
    names = names_of(session, {item.user_id for item in items})
    return {
        "items": [
            public_insight(item, question=questions.get(item.query_id, ""), created_by=names.get(item.user_id))
            for item in items
        ],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


@router.patch("/{insight_id}", response_model=InsightOut)
def patch(insight_id: IdPath, body: InsightPatchIn, user: CurrentUser, session: DbSession) -> InsightView:
    return public_insight(set_saved(session, user, insight_id, body.saved))


@router.delete("/{insight_id}", status_code=204)
def delete(insight_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    delete_insight(session, user, insight_id)
    return Response(status_code=204)
