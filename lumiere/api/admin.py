"""/api/admin: metrics, users, LLM costs, plans and system status, for administrators only (403 otherwise)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, Path, Query, status

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath
from lumiere.api.schemas_admin import (
    AdminPlanChoiceIn,
    AdminPlanListOut,
    AdminUserListOut,
    AdminUserOut,
    AdminUserPatchIn,
    CostsOut,
    MetricsOut,
    PlanCreateIn,
    PlanPatchIn,
    SystemStatusOut,
)
from lumiere.api.schemas_usage import PlanOut
from lumiere.api.usage import plan_body
from lumiere.models import User
from lumiere.services import admin_metrics, admin_status, admin_users
from lumiere.services.admin import admin_create_plan, admin_plans, admin_update_plan, require_admin


def admin_user(user: CurrentUser) -> User:
    """403 before anything else is read, so a non-admin learns nothing from a malformed request."""
    require_admin(user)
    return user


Admin = Annotated[User, Depends(admin_user)]
router = Router(prefix="/api/admin", tags=["admin"])

Days = Annotated[int, Query(description="The last N days (UTC), today included; 1 to 366")]
PlanName = Annotated[str, Path(max_length=40)]


@router.get("/metrics", response_model=MetricsOut)
def metrics(user: Admin, session: DbSession, days: Days = 30) -> dict[str, Any]:
    return asdict(admin_metrics.metrics(session, user, days))


@router.get("/users", response_model=AdminUserListOut)
def users(
    user: Admin,
    session: DbSession,
    page: int = 1,
    page_size: int = 50,
    search: Annotated[str | None, Query(max_length=1000)] = None,
    sort: Annotated[str, Query(description="email, name, created_at, queries or plan; '-' first for descending",
                               max_length=40)] = admin_users.DEFAULT_SORT,
) -> dict[str, Any]:
    listed = admin_users.list_users(session, user, search=search, sort=sort, page=page, page_size=page_size)
    return asdict(listed)


@router.patch("/users/{user_id}", response_model=AdminUserOut)
def patch_user(user_id: IdPath, body: AdminUserPatchIn, user: Admin, session: DbSession) -> dict[str, Any]:
    return asdict(admin_users.update_user(session, user, user_id, role=body.role, disabled=body.disabled))


@router.patch("/users/{user_id}/plan", response_model=AdminUserOut)
def patch_user_plan(
    user_id: IdPath, body: AdminPlanChoiceIn, user: Admin, session: DbSession
) -> dict[str, Any]:
    return asdict(admin_users.set_user_plan(session, user, user_id, body.plan))


@router.get("/costs", response_model=CostsOut)
def costs(user: Admin, session: DbSession, days: Days = 30) -> dict[str, Any]:
    report = admin_metrics.costs(session, user, days)
    body = asdict(report)
    body["by_model"] = [{"model": row.pop("key"), **row} for row in body["by_model"]]
    body["by_purpose"] = [{"purpose": row.pop("key"), **row} for row in body["by_purpose"]]
    return body


@router.get("/plans", response_model=AdminPlanListOut)
def plans(user: Admin, session: DbSession) -> dict[str, Any]:
    items = [plan_body(plan) for plan in admin_plans(session, user)]
    return {"items": items, "total": len(items)}


@router.post("/plans", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(body: PlanCreateIn, user: Admin, session: DbSession) -> dict[str, Any]:
    created = admin_create_plan(
        session, user, name=body.name, title=body.title, description=body.description,
        price_usd_per_month=body.price_usd_per_month, limits=body.limits.model_dump(exclude_unset=True),
    )
    return plan_body(created)


@router.patch("/plans/{name}", response_model=PlanOut)
def patch_plan(name: PlanName, body: PlanPatchIn, user: Admin, session: DbSession) -> dict[str, Any]:
    updated = admin_update_plan(
        session, user, name, title=body.title, description=body.description,
        price_usd_per_month=body.price_usd_per_month,
        limits=body.limits.model_dump(exclude_unset=True) if body.limits is not None else None,
    )
    return plan_body(updated)


@router.get("/status", response_model=SystemStatusOut)
def system_status(user: Admin, session: DbSession) -> dict[str, Any]:
    return asdict(admin_status.system_status(session, user))
