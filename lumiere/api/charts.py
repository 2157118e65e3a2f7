"""/api/ai/chart and /api/ai/insight: a query's chart (with overrides) and its written insight."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import ChartOut, InsightOut, StrictModel
from lumiere.services.charts import chart_for_query
from lumiere.services.insights import InsightView, create_insight, public_insight

router = Router(prefix="/api/ai", tags=["charts and insights"])

ColumnName = Field(default=None, max_length=500, description="A column of the query's result")


class ChartIn(StrictModel):
    query_id: int = Field(ge=1, le=2**53)
    type: str | None = Field(
        default=None, max_length=40, description="bar, line, area, pie, scatter, histogram, kpi or table"
    )
    x: str | None = ColumnName
    y: str | None = ColumnName
    color: str | None = ColumnName
    title: str | None = Field(default=None, max_length=500)
    theme: Literal["light", "dark"] = "light"


class InsightIn(StrictModel):
    query_id: int = Field(ge=1, le=2**53)


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The query's SQL is refused or fails on the current data"},
    404: {"description": "No such query (or not yours), or its data source was deleted"},
    408: {"description": "Re-reading the rows took longer than the time limit"},
    422: {"description": "A chart type or column that does not fit this result; the message lists valid ones"},
}


@router.post("/chart", response_model=ChartOut, responses=ERRORS)
def chart(body: ChartIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    override = body.model_dump(include={"type", "x", "y", "color", "title"}, exclude_none=True)
    return chart_for_query(session, user, body.query_id, override=override, theme=body.theme)


@router.post("/insight", status_code=201, response_model=InsightOut, responses=ERRORS)
def insight(body: InsightIn, user: CurrentUser, session: DbSession) -> InsightView:
    return public_insight(create_insight(session, user, body.query_id))
