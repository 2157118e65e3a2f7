"""/api/schedules: queries run on a cron and emailed, "Run now", and each schedule's runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query as QueryParam
from fastapi import Response

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath, WorkspaceParam
from lumiere.api.schemas_schedules import RunList, RunOut, ScheduleIn, ScheduleList, ScheduleOut, SchedulePatchIn
from lumiere.services import schedules
from lumiere.services.schedules import MAX_PAGE_SIZE, RunView, ScheduleView, public_run, public_schedule

router = Router(prefix="/api/schedules", tags=["schedules"])

Page = Annotated[int, QueryParam(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParam(ge=1, le=MAX_PAGE_SIZE)]

ERRORS: dict[int | str, dict[str, Any]] = {
    402: {"description": "The plan's schedules limit is reached"},
    404: {"description": "No such schedule or query of yours"},
    409: {"description": "A Run now of this schedule is still waiting or running"},
    422: {"description": "A bad cron, time zone, address, format, name or only_if (the detail names the field)"},
}


@router.post("", status_code=201, response_model=ScheduleOut, responses=ERRORS)
def create(body: ScheduleIn, user: CurrentUser, session: DbSession) -> ScheduleView:
    schedule = schedules.create_schedule(
        session, user, query_id=body.query_id, cron_expression=body.cron, timezone=body.timezone,
        recipients=body.recipients, format=body.format, name=body.name, only_if=body.only_if,
    )
    return public_schedule(schedule)


@router.get("", response_model=ScheduleList)
def list_all(
    user: CurrentUser, session: DbSession, page: Page = 1, page_size: PageSize = 50, workspace_id: WorkspaceParam = None
) -> dict[str, Any]:
    """One space's schedules: yours (no `workspace_id`), or a workspace's (members only)."""
    items, total = schedules.list_schedules(session, user, page=page, page_size=page_size, workspace_id=workspace_id)
    return {
        "items": [public_schedule(item) for item in items], "total": total, "page": page, "page_size": page_size,
        "email_configured": schedules.email_configured(),
    }


@router.get("/{schedule_id}", response_model=ScheduleOut, responses=ERRORS)
def get_one(schedule_id: IdPath, user: CurrentUser, session: DbSession) -> ScheduleView:
    return public_schedule(schedules.get_schedule(session, user, schedule_id))


@router.patch("/{schedule_id}", response_model=ScheduleOut, responses=ERRORS)
def patch(schedule_id: IdPath, body: SchedulePatchIn, user: CurrentUser, session: DbSession) -> ScheduleView:
    changes = body.model_dump(exclude_unset=True)
    return public_schedule(schedules.update_schedule(session, user, schedule_id, changes))


@router.delete("/{schedule_id}", status_code=204, responses=ERRORS)
def delete(schedule_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    schedules.delete_schedule(session, user, schedule_id)
    return Response(status_code=204)


@router.post("/{schedule_id}/run", status_code=202, response_model=RunOut, responses=ERRORS)
def run_now(schedule_id: IdPath, user: CurrentUser, session: DbSession) -> RunView:
    """Queues a run now, outside the cron; its progress shows in the runs list."""
    return public_run(schedules.run_now(session, user, schedule_id))


@router.get("/{schedule_id}/runs", response_model=RunList, responses=ERRORS)
def runs(
    schedule_id: IdPath, user: CurrentUser, session: DbSession, page: Page = 1, page_size: PageSize = 50
) -> dict[str, Any]:
    items, total = schedules.list_runs(session, user, schedule_id, page=page, page_size=page_size)
    return {"items": [public_run(item) for item in items], "total": total, "page": page, "page_size": page_size}
