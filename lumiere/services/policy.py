"""The one authorization policy: may this user do this action on this object, and which rows may they list.

Every service that reads or changes a user's object asks here, so the rule lives in one place:

- a personal object (`workspace_id` None) belongs to its owner alone; anyone else gets 404, as if
  it did not exist;
- a workspace's object: a non-member gets 404; every member may view it and ask over it; editors
  and admins may change and delete it (a member may also change what they made themselves that a
  viewer can make: their own queries, insights and chats); admins manage members and the workspace.
  A member without the right gets 403 with a message naming who can.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, col, select

from lumiere.core.enums import WorkspaceRole
from lumiere.core.errors import Forbidden, NotFound
from lumiere.models import (
    ChatSession,
    Insight,
    Pin,
    Query,
    Schedule,
    ShareLink,
    Source,
    User,
    Workspace,
    WorkspaceMember,
)


class Action(StrEnum):
    VIEW = "view"  # read it
    ASK = "ask"  # ask questions over it (sources), or run it again (queries)
    CREATE = "create"  # add a new one to a space (with `InSpace`)
    CHANGE = "change"  # rename, edit, move
    DELETE = "delete"
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove (on a Workspace)
    MANAGE_WORKSPACE = "manage_workspace"  # rename or delete the workspace itself
    TAKE_BACK = "take_back"  # move a workspace's thing back to a personal space: whoever added it


class Owned(Protocol):
    """What the policy reads from an object: who made it (and `workspace_id`, its space, where it has one)."""

    user_id: int


# The kinds a viewer may make in a workspace (they are "theirs", tagged with the workspace), and
# which they may therefore also change and delete (a share link: revoke the ones they made).
# Everything else takes an editor.
_VIEWER_MADE: tuple[type, ...] = (Query, Insight, ChatSession, ShareLink)

_NOUNS: dict[type, str] = {
    Source: "sources",
    Query: "queries",
    Insight: "insights",
    Schedule: "schedules",
    ChatSession: "chats",
    ShareLink: "share links",
    Pin: "pinned answers",
}

_VERBS: dict[Action, str] = {
    Action.VIEW: "see",
    Action.ASK: "ask over",
    Action.CREATE: "add",
    Action.CHANGE: "change",
    Action.DELETE: "delete",
}

_RANK = {WorkspaceRole.VIEWER: 0, WorkspaceRole.EDITOR: 1, WorkspaceRole.ADMIN: 2}


@dataclass(frozen=True)
class InSpace:
    """A kind of object about to be added to a space (`workspace_id` None: the user's personal space)."""

    kind: type
    workspace_id: int | None


def role_in(session: Session, user: User, workspace_id: int) -> WorkspaceRole | None:
    """The user's role in a workspace, or None when they are not a member."""
    role = session.exec(
        select(WorkspaceMember.role).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user.id
        )
    ).first()
    return WorkspaceRole(role) if role is not None else None


def member_workspace(session: Session, user: User, workspace_id: object) -> tuple[Workspace, WorkspaceRole]:
    """A workspace the user belongs to, with their role; 404 for a missing id or a workspace they are not in."""
    workspace = session.get(Workspace, workspace_id) if _is_id(workspace_id) else None
    role = role_in(session, user, workspace_id) if workspace is not None else None  # type: ignore[arg-type]
    if workspace is None or role is None:
        raise NotFound(f"No workspace with id {workspace_id} among yours.")
    return workspace, role


def authorize(
    session: Session, user: User, target: Owned | Workspace | InSpace, action: Action, *, missing: str = ""
) -> WorkspaceRole | None:
    """Returns the user's role in the target's workspace (None for a personal object), or raises:
    NotFound (`missing` as its message) when the user may not know the target exists, Forbidden when
    they are a member without the right."""
    if isinstance(target, Workspace):
        workspace, role = member_workspace(session, user, target.id)
        if action in (Action.VIEW, Action.ASK) or _at_least(role, WorkspaceRole.ADMIN):
            return role
        what = "manage its members" if action == Action.MANAGE_MEMBERS else "rename or delete it"
        raise Forbidden(f"Only an admin of {workspace.name} can {what}; you are a {role.value}.")
    if isinstance(target, InSpace):
        if target.workspace_id is None:
            return None
        workspace, role = member_workspace(session, user, target.workspace_id)
        needed = WorkspaceRole.VIEWER if target.kind in _VIEWER_MADE else WorkspaceRole.EDITOR
        _require(workspace, role, needed, target.kind, Action.CREATE)
        return role
    noun = _NOUNS.get(type(target), "things")
    not_found = NotFound(missing or f"No such {noun.rstrip('s')}.")
    workspace_id = getattr(target, "workspace_id", None)  # tokens, examples: personal by nature
    if workspace_id is None:
        if target.user_id != user.id:
            raise not_found
        return None
    space = session.get(Workspace, workspace_id)
    member = role_in(session, user, workspace_id)
    if space is None or member is None:
        raise not_found
    workspace, role = space, member
    if action in (Action.VIEW, Action.ASK):
        return role
    if action == Action.TAKE_BACK:
        if target.user_id != user.id:
            raise Forbidden(f"Only the person who added this to {workspace.name} can move it back to their own space.")
        return role
    if action in (Action.CHANGE, Action.DELETE) and isinstance(target, _VIEWER_MADE) and target.user_id == user.id:
        return role
    needed = WorkspaceRole.ADMIN if action in (Action.MANAGE_MEMBERS, Action.MANAGE_WORKSPACE) else WorkspaceRole.EDITOR
    _require(workspace, role, needed, type(target), action)
    return role


def may(session: Session, user: User, target: Owned | Workspace | InSpace, action: Action) -> bool:
    """`authorize` as a yes or no, for showing or hiding a button."""
    try:
        authorize(session, user, target, action)
    except (NotFound, Forbidden):
        return False
    return True


def made_by_another(user: User, target: Owned) -> bool:
    """A workspace's object that another member made: the lists say who (not for the user's own or personal ones)."""
    return getattr(target, "workspace_id", None) is not None and target.user_id != user.id


def can_change(role: WorkspaceRole | None) -> bool:
    """Whether a member with `role` (None: the owner of a personal object) changes a space's things."""
    return role is None or _at_least(role, WorkspaceRole.EDITOR)


def _at_least(role: WorkspaceRole, needed: WorkspaceRole) -> bool:
    return _RANK[role] >= _RANK[needed]


def _require(workspace: Workspace, role: WorkspaceRole, needed: WorkspaceRole, kind: type, action: Action) -> None:
    if _at_least(role, needed):
        return
    noun = _NOUNS.get(kind, "things")
    who = "an editor or admin" if needed == WorkspaceRole.EDITOR else "an admin"
    verb = _VERBS.get(action, action.value)
    raise Forbidden(f"A {role.value} of {workspace.name} cannot {verb} its {noun}; ask {who}.")


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Lists: which rows a user sees in a space


def own_filter(model: Any, user: User) -> ColumnElement[bool]:
    """Rows the user made themselves, in any space (their own examples, usage, tokens)."""
    return col(model.user_id) == user.id


def visible_filter(session: Session, model: Any, user: User, workspace_id: int | None) -> ColumnElement[bool]:
    """The rows of `model` a list shows in one space: the user's personal ones (`workspace_id` None), or
    the workspace's (members only: 404 otherwise)."""
    if workspace_id is None:
        return and_(col(model.user_id) == user.id, col(model.workspace_id).is_(None))
    member_workspace(session, user, workspace_id)
    return col(model.workspace_id) == workspace_id


def usable_filter(model: Any, user: User) -> ColumnElement[bool]:
    """Every row of `model` the user may view in any space: their personal ones and their workspaces'."""
    mine = select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == user.id)
    return or_(
        and_(col(model.user_id) == user.id, col(model.workspace_id).is_(None)),
        col(model.workspace_id).in_(mine) if user.id is not None else false(),
    )
