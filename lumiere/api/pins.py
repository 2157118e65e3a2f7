"""/api/pins: answers pinned to your dashboard or a workspace's, arranged, resized and drawn from the data."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response
from pydantic import BaseModel, Field, JsonValue

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath, StrictModel, WorkspaceParam
from lumiere.services import pins
from lumiere.services.history import get_query
from lumiere.services.pins import MAX_PINS, PinView

router = Router(prefix="/api/pins", tags=["dashboard"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "A workspace viewer cannot pin, move or remove"},
    404: {"description": "No such pin or query of yours"},
    409: {"description": f"The dashboard already holds {MAX_PINS} pins"},
    422: {"description": "A failed query, or a bad position or width (the detail says which)"},
}


class PinIn(StrictModel):
    query_id: int = Field(ge=1, le=2**53, description="A successful history entry; it goes to its space's dashboard")
    width: int = Field(default=1, ge=1, le=3, description="Grid columns: 1 (narrow) to 3 (full width)")


class PinPatchIn(StrictModel):
    position: int | None = Field(default=None, ge=0, le=10_000, description="0 first; past the end: last")
    width: int | None = Field(default=None, ge=1, le=3)


class PinOut(BaseModel):
    id: int
    query_id: int
    question: str
    source_name: str
    position: int
    width: int
    workspace_id: int | None
    created_at: str
    kind: Literal["pending", "chart", "number", "error"] = Field(
        description="pending in lists; after a refresh: a chart, a number, or an error saying why it cannot draw"
    )
    figure: dict[str, JsonValue] | None = Field(description="Plotly JSON, for a chart")
    value: str = Field(description="The formatted number, for a one-value answer")
    label: str
    error: str
    notes: list[str]


class PinList(BaseModel):
    items: list[PinOut]
    total: int


@router.get("", response_model=PinList)
def list_all(user: CurrentUser, session: DbSession, workspace_id: WorkspaceParam = None) -> dict[str, Any]:
    """One dashboard's pins in order: yours (no `workspace_id`) or a workspace's. Refresh one to draw it."""
    items = [pins.public_pin(pin, query) for pin, query in pins.list_pins(session, user, workspace_id)]
    return {"items": items, "total": len(items)}


@router.post("", status_code=201, response_model=PinOut, responses=ERRORS)
def create(body: PinIn, user: CurrentUser, session: DbSession) -> PinView:
    pin = pins.pin_query(session, user, body.query_id, width=body.width)
    return pins.public_pin(pin, get_query(session, user, pin.query_id))


@router.patch("/{pin_id}", response_model=PinOut, responses=ERRORS)
def arrange(pin_id: IdPath, body: PinPatchIn, user: CurrentUser, session: DbSession) -> PinView:
    pin = pins.arrange_pin(session, user, pin_id, position=body.position, width=body.width)
    return pins.public_pin(pin, get_query(session, user, pin.query_id))


@router.delete("/{pin_id}", status_code=204, responses=ERRORS)
def delete(pin_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    pins.unpin(session, user, pin_id)
    return Response(status_code=204)


@router.post("/{pin_id}/refresh", response_model=PinOut, responses=ERRORS)
def refresh(pin_id: IdPath, user: CurrentUser, session: DbSession) -> PinView:
    """The pin drawn from its query's current rows (the same guarded run as the answer)."""
    return pins.refresh_pin(session, user, pin_id)
