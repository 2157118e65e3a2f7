"""/api/data/source/{id}/examples: the (question, SQL) pairs a user taught on a source, to review or remove."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import ExampleList, IdPath
from lumiere.services import examples

router = Router(prefix="/api/data", tags=["data"])

ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "No such source or remembered question (or not yours)"}}


@router.get("/source/{source_id}/examples", response_model=ExampleList, responses=ERRORS)
def list_examples(source_id: IdPath, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    items, total = examples.list_examples(session, user, source_id)
    return {"items": items, "total": total}


@router.delete("/source/{source_id}/examples/{example_id}", status_code=204, responses=ERRORS)
def delete_example(source_id: IdPath, example_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    examples.delete_example(session, user, source_id, example_id)
    return Response(status_code=204)
