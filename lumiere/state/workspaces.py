"""/workspaces: create, rename and delete workspaces; invite members, change roles, remove them.

Every handler calls `services.workspaces` (the same functions as /api/workspaces), which asks the
policy: a viewer's or editor's attempt to manage members is refused there, not only hidden here.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere.models import User
from lumiere.services import workspaces
from lumiere.services.workspaces import WorkspaceView
from lumiere.state.arguments import INVALID_LINK, form_text, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.service_calls import Failed


@dataclass(frozen=True)
class WorkspaceRow:
    id: int
    name: str
    role: str
    member_count: int


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    role: str
    is_me: bool


@dataclass(frozen=True)
class InvitationRow:
    id: int
    email: str
    role: str


def _rows(session: Session, user: User) -> list[WorkspaceView]:
    return workspaces.list_workspaces(session, user)


class WorkspacesState(AuthState):
    items: list[WorkspaceRow] = []
    loaded: bool = False
    selected_id: int = 0
    selected_name: str = ""
    selected_role: str = ""
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    confirming_delete: bool = False

    @rx.var
    def is_admin_here(self) -> bool:
        return self.selected_role == "admin"

    def _show(self, views: list[WorkspaceView]) -> None:
        self.items = [WorkspaceRow(id=v.id, name=v.name, role=v.role.value, member_count=len(v.members)) for v in views]
        self.loaded = True
        chosen = next((v for v in views if v.id == self.selected_id), views[0] if views else None)
        self.selected_id = chosen.id if chosen else 0
        self.selected_name = chosen.name if chosen else ""
        self.selected_role = chosen.role.value if chosen else ""
        self.members = [
            MemberRow(
                user_id=m.user_id or 0, name=m.name, email=m.email, role=m.role.value, is_me=m.user_id == self.user_id
            )
            for m in (chosen.members if chosen else [])
        ]
        self.invitations = [
            InvitationRow(id=i.id, email=i.email, role=i.role.value) for i in (chosen.invitations if chosen else [])
        ]

    async def _refresh(self, done: str = "") -> EventSpec | None:
        views = await self._call_service(_rows)
        if isinstance(views, Failed):
            return views.event
        self._show(views)
        self._authorized_user()  # the top bar's switcher lists the change too
        return rx.toast.success(done) if done else None

    @rx.event
    async def load(self):
        """Opens the page; an invitation link (`?invite=<token>`) joins its workspace first."""
        token = self.router.url.query_parameters.get("invite", "")
        if token:
            joined = await self._call_service(lambda session, user: workspaces.accept_invitation(session, user, token))
            if isinstance(joined, Failed):
                failed = joined.event
                await self._refresh()
                return failed
            self.selected_id = joined.id
            return await self._refresh(f"You joined {joined.name}.")
        return await self._refresh()

    @rx.event
    async def select(self, workspace_id: int):
        self.selected_id = positive_id(workspace_id) or 0
        return await self._refresh()

    @rx.event
    async def create(self, form_data: dict):
        name = form_text(form_data, "name")
        made = await self._call_service(lambda session, user: workspaces.create_workspace(session, user, name))
        if isinstance(made, Failed):
            return made.event
        self.selected_id = made.id
        return await self._refresh(f"Workspace {made.name} created; you are its admin.")

    @rx.event
    async def rename(self, form_data: dict):
        name, wid = form_text(form_data, "name"), self.selected_id
        done = await self._call_service(lambda session, user: workspaces.rename_workspace(session, user, wid, name))
        if isinstance(done, Failed):
            return done.event
        return await self._refresh("Workspace renamed.")

    @rx.event
    def ask_delete(self):
        self.confirming_delete = True

    @rx.event
    def cancel_delete(self):
        self.confirming_delete = False

    @rx.event
    async def confirm_delete(self):
        self.confirming_delete = False
        wid = self.selected_id
        done = await self._call_service(lambda session, user: workspaces.delete_workspace(session, user, wid))
        if isinstance(done, Failed):
            return done.event
        self.selected_id = 0
        return await self._refresh("Workspace deleted; its things went back to whoever made them.")

    @rx.event
    async def invite(self, form_data: dict):
        email, role, wid = form_text(form_data, "email"), form_text(form_data, "role") or "viewer", self.selected_id
        added = await self._call_service(lambda session, user: workspaces.add_member(session, user, wid, email, role))
        if isinstance(added, Failed):
            return added.event
        if added.pending:
            note = "emailed" if added.emailed else "shown here until they sign up with that address"
            return await self._refresh(f"Invitation for {added.email} is pending ({note}).")
        return await self._refresh(f"{added.name or added.email} joined as {added.role.value}.")

    @rx.event
    async def change_role(self, member_user_id: int, role: str):
        wid = self.selected_id
        done = await self._call_service(
            lambda session, user: workspaces.change_role(session, user, wid, member_user_id, role)
        )
        if isinstance(done, Failed):
            return done.event
        return await self._refresh(f"{done.name or done.email} is now {done.role.value}.")

    @rx.event
    async def remove(self, member_user_id: int):
        wanted, wid = positive_id(member_user_id), self.selected_id
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        done = await self._call_service(lambda session, user: workspaces.remove_member(session, user, wid, wanted))
        if isinstance(done, Failed):
            return done.event
        return await self._refresh("You left the workspace." if wanted == self.user_id else "Member removed.")

    @rx.event
    async def withdraw(self, invitation_id: int):
        wanted, wid = positive_id(invitation_id), self.selected_id
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        done = await self._call_service(
            lambda session, user: workspaces.withdraw_invitation(session, user, wid, wanted)
        )
        if isinstance(done, Failed):
            return done.event
        return await self._refresh("Invitation withdrawn.")
