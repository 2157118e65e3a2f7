"""/api/workspaces: teams, their members and invitations (who may do what: `services.policy`)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath, StrictModel
from lumiere.core.enums import WorkspaceRole
from lumiere.services import workspaces
from lumiere.services.workspaces import MemberView, WorkspaceView

router = Router(prefix="/api/workspaces", tags=["workspaces"])

ERRORS: dict[int | str, dict[str, Any]] = {
    402: {"description": "The workspace owner's plan has no room for another member"},
    403: {"description": "A member without the right (only admins manage members and the workspace)"},
    404: {"description": "No such workspace among yours (or no such member)"},
    409: {"description": "Already a member, or the last admin would leave or be demoted"},
}


class MemberOut(BaseModel):
    user_id: int | None = Field(description="null for a pending invitation")
    email: str
    name: str
    role: WorkspaceRole
    pending: bool = Field(default=False, description="An invitation waiting for its address to register")
    invitation_id: int | None = None
    emailed: bool = Field(default=False, description="The invitation was just sent by email")


class InvitationOut(BaseModel):
    id: int
    email: str
    role: WorkspaceRole
    created_at: str


class WorkspaceOut(BaseModel):
    id: int
    name: str
    role: WorkspaceRole = Field(description="Your role in it")
    members: list[MemberOut]
    invitations: list[InvitationOut] = Field(description="Pending invitations (shown to admins)")
    created_at: str
    owner_id: int | None


class WorkspaceList(BaseModel):
    items: list[WorkspaceOut]
    total: int


class WorkspaceIn(StrictModel):
    name: str = Field(max_length=500)


class MemberIn(StrictModel):
    email: str = Field(max_length=320)
    role: str = Field(default="viewer", max_length=20, description="viewer, editor or admin")


class RoleIn(StrictModel):
    role: str = Field(max_length=20, description="viewer, editor or admin")


class InvitationAcceptIn(StrictModel):
    token: str = Field(max_length=200)


@router.post("", status_code=201, response_model=WorkspaceOut, responses=ERRORS)
def create(body: WorkspaceIn, user: CurrentUser, session: DbSession) -> WorkspaceView:
    """A new workspace; you are its admin."""
    return workspaces.create_workspace(session, user, body.name)


@router.get("", response_model=WorkspaceList)
def list_mine(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    items = workspaces.list_workspaces(session, user)
    return {"items": items, "total": len(items)}


@router.post("/invitations/accept", response_model=WorkspaceOut, responses=ERRORS)
def accept(body: InvitationAcceptIn, user: CurrentUser, session: DbSession) -> WorkspaceView:
    """Join the workspace of an invitation link."""
    return workspaces.accept_invitation(session, user, body.token)


@router.get("/{workspace_id}", response_model=WorkspaceOut, responses=ERRORS)
def get_one(workspace_id: IdPath, user: CurrentUser, session: DbSession) -> WorkspaceView:
    return workspaces.get_workspace(session, user, workspace_id)


@router.patch("/{workspace_id}", response_model=WorkspaceOut, responses=ERRORS)
def rename(workspace_id: IdPath, body: WorkspaceIn, user: CurrentUser, session: DbSession) -> WorkspaceView:
    return workspaces.rename_workspace(session, user, workspace_id, body.name)


@router.delete("/{workspace_id}", status_code=204, responses=ERRORS)
def delete(workspace_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    """Its sources, queries, insights, schedules and chats go back to whoever made them."""
    workspaces.delete_workspace(session, user, workspace_id)
    return Response(status_code=204)


@router.post("/{workspace_id}/members", status_code=201, response_model=MemberOut, responses=ERRORS)
def add_member(workspace_id: IdPath, body: MemberIn, user: CurrentUser, session: DbSession) -> MemberView:
    """An existing account joins at once; another address gets a pending invitation (emailed when SMTP is set up)."""
    return workspaces.add_member(session, user, workspace_id, body.email, body.role)


@router.patch("/{workspace_id}/members/{user_id}", response_model=MemberOut, responses=ERRORS)
def change_role(
    workspace_id: IdPath, user_id: IdPath, body: RoleIn, user: CurrentUser, session: DbSession
) -> MemberView:
    return workspaces.change_role(session, user, workspace_id, user_id, body.role)


@router.delete("/{workspace_id}/members/{user_id}", status_code=204, responses=ERRORS)
def remove_member(workspace_id: IdPath, user_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    """An admin removes a member; your own id: you leave."""
    workspaces.remove_member(session, user, workspace_id, user_id)
    return Response(status_code=204)


@router.delete("/{workspace_id}/invitations/{invitation_id}", status_code=204, responses=ERRORS)
def withdraw(workspace_id: IdPath, invitation_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    workspaces.withdraw_invitation(session, user, workspace_id, invitation_id)
    return Response(status_code=204)
