"""Workspaces: teams that share sources, queries, insights, schedules and chats, with roles.

The creator is the first admin; admins rename and delete the workspace and manage members (the
last admin can neither leave nor be demoted). Deleting a workspace gives its things back to the
people who made them (the foreign keys set `workspace_id` to NULL). The number of members (pending
invitations included) is limited by the workspace owner's plan. Who may do what is `policy`'s answer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from lumiere.core.enums import WorkspaceRole
from lumiere.core.errors import Conflict, Invalid, LimitReached, NotFound
from lumiere.db import saved_id
from lumiere.models import User, Workspace, WorkspaceInvitation, WorkspaceMember
from lumiere.models._base import iso_utc, utcnow
from lumiere.services import workspace_invitations as invitations
from lumiere.services.auth import normalize_email
from lumiere.services.plans import limits_of, plan_of
from lumiere.services.policy import Action, Owned, authorize, made_by_another, member_workspace, own_filter
from lumiere.services.workspace_invitations import InvitationView, public_invitation

MAX_NAME_CHARS = 100
MAX_WORKSPACES_PER_USER = 50


@dataclass(frozen=True)
class MemberView:
    """A member, or (`pending`, no `user_id`) an invitation waiting for its address to register."""

    user_id: int | None
    email: str
    name: str
    role: WorkspaceRole
    pending: bool = False
    invitation_id: int | None = None
    emailed: bool = False


@dataclass(frozen=True)
class WorkspaceView:
    """The API's `workspace`: `role` is the caller's; `invitations` only for admins."""

    id: int
    name: str
    role: WorkspaceRole
    members: list[MemberView]
    invitations: list[InvitationView]
    created_at: str
    owner_id: int | None


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Give the workspace a name.", field="name")
    cleaned = " ".join(name.split())
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in cleaned):
        raise Invalid("The name may not contain control characters.", field="name")
    if len(cleaned) > MAX_NAME_CHARS:
        raise Invalid(f"A workspace name can be at most {MAX_NAME_CHARS} characters.", field="name")
    return cleaned


def clean_role(role: object) -> WorkspaceRole:
    try:
        return WorkspaceRole(str(role).strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in WorkspaceRole)
        raise Invalid(f"role must be one of {choices}.", field="role") from None


# --------------------------------------------------------------------------------------------
# Reading


def view(session: Session, workspace: Workspace, role: WorkspaceRole) -> WorkspaceView:
    rows = session.exec(
        select(WorkspaceMember, User)
        .join(User, col(User.id) == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace.id)
        .order_by(col(WorkspaceMember.created_at), col(WorkspaceMember.id))
    ).all()
    members = [
        MemberView(user_id=user.id, email=user.email, name=user.name, role=WorkspaceRole(member.role))
        for member, user in rows
    ]
    pending = [public_invitation(invitation) for invitation in _pending(session, saved_id(workspace))]
    return WorkspaceView(
        id=saved_id(workspace),
        name=workspace.name,
        role=role,
        members=members,
        invitations=pending if role == WorkspaceRole.ADMIN else [],
        created_at=iso_utc(workspace.created_at),
        owner_id=workspace.owner_id,
    )


def _pending(session: Session, workspace_id: int) -> list[WorkspaceInvitation]:
    return list(
        session.exec(
            select(WorkspaceInvitation)
            .where(WorkspaceInvitation.workspace_id == workspace_id, col(WorkspaceInvitation.accepted_at).is_(None))
            .order_by(col(WorkspaceInvitation.created_at), col(WorkspaceInvitation.id))
        ).all()
    )


def list_workspaces(session: Session, user: User) -> list[WorkspaceView]:
    """The workspaces the user belongs to, by name."""
    rows = session.exec(
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, col(WorkspaceMember.workspace_id) == Workspace.id)
        .where(own_filter(WorkspaceMember, user))
        .order_by(func.lower(Workspace.name), col(Workspace.id))
    ).all()
    return [view(session, workspace, WorkspaceRole(role)) for workspace, role in rows]


@dataclass(frozen=True)
class Membership:
    """A workspace as the switcher offers it: its id, name and the user's role."""

    id: int
    name: str
    role: WorkspaceRole


def memberships(session: Session, user: User) -> list[Membership]:
    """The user's workspaces by name, in one query (the top bar reads this on every page)."""
    rows = session.exec(
        select(Workspace.id, Workspace.name, WorkspaceMember.role)
        .join(WorkspaceMember, col(WorkspaceMember.workspace_id) == Workspace.id)
        .where(own_filter(WorkspaceMember, user))
        .order_by(func.lower(Workspace.name), col(Workspace.id))
    ).all()
    return [Membership(id=int(wid), name=name, role=WorkspaceRole(role)) for wid, name, role in rows if wid]


def get_workspace(session: Session, user: User, workspace_id: object) -> WorkspaceView:
    workspace, role = member_workspace(session, user, workspace_id)
    return view(session, workspace, role)


def names_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Display names for "who asked or saved this" in a workspace's lists."""
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def others_names(session: Session, user: User, items: Iterable[Owned]) -> dict[int, str]:
    """Who made those of `items` (queries, insights...) that are a workspace's and not the user's own:
    the lists name them, and say nothing for the user's own or personal ones."""
    return names_of(session, {item.user_id for item in items if made_by_another(user, item)})



# --------------------------------------------------------------------------------------------
# The workspace itself


def create_workspace(session: Session, user: User, name: object) -> WorkspaceView:
    """A new workspace with the user as its only member, an admin (and its owner, whose plan counts)."""
    cleaned = clean_name(name)
    held = session.exec(
        select(func.count()).select_from(WorkspaceMember).where(own_filter(WorkspaceMember, user))
    ).one()
    if held >= MAX_WORKSPACES_PER_USER:
        raise Invalid(f"You already belong to {MAX_WORKSPACES_PER_USER} workspaces; leave one first.", field="name")
    workspace = Workspace(name=cleaned, owner_id=saved_id(user))
    session.add(workspace)
    session.flush()
    session.add(WorkspaceMember(workspace_id=saved_id(workspace), user_id=saved_id(user), role=WorkspaceRole.ADMIN))
    session.flush()
    return view(session, workspace, WorkspaceRole.ADMIN)


def _managed(session: Session, user: User, workspace_id: object, action: Action) -> Workspace:
    workspace, _role = member_workspace(session, user, workspace_id)
    authorize(session, user, workspace, action)
    return workspace


def rename_workspace(session: Session, user: User, workspace_id: object, name: object) -> WorkspaceView:
    workspace = _managed(session, user, workspace_id, Action.MANAGE_WORKSPACE)
    workspace.name = clean_name(name)
    workspace.updated_at = utcnow()
    session.add(workspace)
    session.flush()
    return view(session, workspace, WorkspaceRole.ADMIN)


def delete_workspace(session: Session, user: User, workspace_id: object) -> None:
    """Deletes it with its memberships and invitations; its sources, queries, insights, schedules and
    chats go back to the personal space of whoever made them."""
    workspace = _managed(session, user, workspace_id, Action.MANAGE_WORKSPACE)
    session.delete(workspace)
    session.flush()
    session.expire_all()  # rows loaded before now still carry the workspace's id


# --------------------------------------------------------------------------------------------
# Members


def _lock(session: Session, workspace: Workspace) -> None:
    """Serialise member changes of one workspace (the last-admin and plan checks read, then write): a
    no-op UPDATE holds its row lock (PostgreSQL) or the write lock (SQLite) until the commit."""
    session.execute(
        update(Workspace)
        .where(col(Workspace.id) == workspace.id)
        .values(updated_at=Workspace.updated_at)
        .execution_options(synchronize_session=False)
    )


def _check_room(session: Session, workspace: Workspace, acting: User) -> None:
    """402 when the owner's plan has no room for one more member (pending invitations count)."""
    owner = session.get(User, workspace.owner_id) if workspace.owner_id is not None else None
    plan = plan_of(session, owner or acting)
    limit = limits_of(plan).workspace_members
    if limit is None:
        return
    members = session.exec(
        select(func.count()).select_from(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id)
    ).one()
    used = int(members) + len(_pending(session, saved_id(workspace)))
    if used + 1 > limit:
        raise LimitReached(
            f"{workspace.name} has {used} of the {limit} members its owner's {plan.title} plan allows "
            "(pending invitations count). Remove a member or withdraw an invitation, or the owner can "
            "move to a bigger plan in Settings → Plan.",
            limit=limit,
            used=used,
            plan=plan.name,
        )


def add_member(session: Session, user: User, workspace_id: object, email: object, role: object) -> MemberView:
    """An existing account joins at once; an address without one gets a pending invitation (emailed when
    SMTP is configured). 409 for someone already in the workspace; 402 over the owner's plan."""
    workspace = _managed(session, user, workspace_id, Action.MANAGE_MEMBERS)
    address = normalize_email(email)
    chosen = clean_role(role)
    _lock(session, workspace)
    account = session.exec(select(User).where(User.email == address)).first()
    if account is not None:
        if _membership(session, saved_id(workspace), saved_id(account)) is not None:
            raise Conflict(f"{address} is already a member of {workspace.name}; change their role instead.",
                           field="email")
        _check_room(session, workspace, user)
        session.add(WorkspaceMember(workspace_id=saved_id(workspace), user_id=saved_id(account), role=chosen))
        session.flush()
        return MemberView(user_id=account.id, email=account.email, name=account.name, role=chosen)
    already = any(invitation.email == address for invitation in _pending(session, saved_id(workspace)))
    if not already:
        _check_room(session, workspace, user)
    invitation, token = invitations.create_invitation(session, user, workspace, address, chosen)
    emailed = invitations.email_invitation(user, workspace, address, token)
    return MemberView(
        user_id=None, email=address, name="", role=chosen, pending=True, invitation_id=invitation.id, emailed=emailed
    )


def _membership(session: Session, workspace_id: int, user_id: int) -> WorkspaceMember | None:
    return session.exec(
        select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id)
    ).first()


def _member_of(session: Session, workspace: Workspace, user_id: object) -> WorkspaceMember:
    member = _membership(session, saved_id(workspace), user_id) if isinstance(user_id, int) else None
    if member is None:
        raise NotFound(f"User {user_id} is not a member of {workspace.name}.")
    return member


def _other_admins(session: Session, workspace: Workspace, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(WorkspaceMember).where(
                WorkspaceMember.workspace_id == workspace.id,
                WorkspaceMember.role == WorkspaceRole.ADMIN,
                col(WorkspaceMember.user_id) != user_id,
            )
        ).one()
    )


def change_role(
    session: Session, user: User, workspace_id: object, member_user_id: object, role: object
) -> MemberView:
    """An admin changes a member's role; 409 when it would leave the workspace without an admin."""
    workspace = _managed(session, user, workspace_id, Action.MANAGE_MEMBERS)
    chosen = clean_role(role)
    _lock(session, workspace)
    member = _member_of(session, workspace, member_user_id)
    if member.role == WorkspaceRole.ADMIN and chosen != WorkspaceRole.ADMIN and not _other_admins(
        session, workspace, member.user_id
    ):
        raise Conflict(f"This is the last admin of {workspace.name}: make another member an admin first.",
                       field="role")
    member.role = chosen
    session.add(member)
    session.flush()
    account = session.get(User, member.user_id)
    return MemberView(
        user_id=member.user_id, email=account.email if account else "", name=account.name if account else "",
        role=chosen,
    )


def remove_member(session: Session, user: User, workspace_id: object, member_user_id: object) -> None:
    """An admin removes a member, or a member leaves; 409 for the last admin (delete the workspace instead).
    What the member made stays in the workspace."""
    workspace, _role = member_workspace(session, user, workspace_id)
    if member_user_id != user.id:
        authorize(session, user, workspace, Action.MANAGE_MEMBERS)
    _lock(session, workspace)
    member = _member_of(session, workspace, member_user_id)
    if member.role == WorkspaceRole.ADMIN and not _other_admins(session, workspace, member.user_id):
        raise Conflict(f"This is the last admin of {workspace.name}: make another member an admin first, "
                       "or delete the workspace.")
    session.delete(member)
    session.flush()


def withdraw_invitation(session: Session, user: User, workspace_id: object, invitation_id: object) -> None:
    """An admin withdraws a pending invitation: its link stops working at once."""
    workspace = _managed(session, user, workspace_id, Action.MANAGE_MEMBERS)
    invitation = session.get(WorkspaceInvitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None or invitation.workspace_id != workspace.id or invitation.accepted_at is not None:
        raise NotFound(f"No pending invitation with id {invitation_id} in {workspace.name}.")
    session.delete(invitation)
    session.flush()


def accept_invitation(session: Session, user: User, token: object) -> WorkspaceView:
    """Joins the workspace of an invitation link (signed in as anyone: holding the link is the proof)."""
    workspace_id = invitations.accept_token(session, user, token)
    return get_workspace(session, user, workspace_id)
