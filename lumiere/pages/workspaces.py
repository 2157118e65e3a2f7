"""/workspaces: your workspaces, and for the chosen one its members, roles and pending invitations."""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import confirm_dialog
from lumiere.components.layout import app_shell, page_header
from lumiere.state.workspaces import InvitationRow, MemberRow, WorkspaceRow, WorkspacesState

ROLES = ["viewer", "editor", "admin"]
ROLE_HELP = (
    "Viewers see and ask; editors also add, change and delete the workspace's things; admins also manage members."
)


def workspace_item(item: rx.Var[WorkspaceRow]) -> rx.Component:
    chosen = item.id == WorkspacesState.selected_id
    return rx.button(
        rx.hstack(
            rx.icon("users", size=16),
            rx.text(item.name, weight="medium"),
            rx.badge(item.role, variant="soft"),
            spacing="2",
            align="center",
        ),
        on_click=WorkspacesState.select(item.id),
        variant=rx.cond(chosen, "solid", "soft"),
        width="100%",
        justify="start",
        aria_label="Open workspace " + item.name.to(str),
    )


def create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="name", placeholder="New workspace name", aria_label="New workspace name", required=True,
                     max_length=100, width="100%"),
            rx.button(rx.icon("plus", size=14), "Create", type="submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=WorkspacesState.create,
        reset_on_submit=True,
        width="100%",
    )


def member_row(member: rx.Var[MemberRow]) -> rx.Component:
    role_control = rx.cond(
        WorkspacesState.is_admin_here,
        rx.select(
            ROLES,
            value=member.role,
            on_change=lambda role: WorkspacesState.change_role(member.user_id, role),
            size="1",
            aria_label="Role of " + member.email.to(str),
        ),
        rx.badge(member.role, variant="soft"),
    )
    can_remove = WorkspacesState.is_admin_here | member.is_me
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(member.name, weight="medium"), rx.text(member.email, size="1",
                                                                              color_scheme="gray"), spacing="0")),
        rx.table.cell(role_control),
        rx.table.cell(
            rx.cond(
                can_remove,
                rx.button(
                    rx.cond(member.is_me, "Leave", "Remove"),
                    on_click=WorkspacesState.remove(member.user_id),
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    aria_label=rx.cond(member.is_me, "Leave this workspace", "Remove " + member.email.to(str)),
                ),
                rx.fragment(),
            )
        ),
    )


def invitation_row(invitation: rx.Var[InvitationRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.text(invitation.email), rx.badge("pending", color_scheme="amber"), spacing="2")),
        rx.table.cell(rx.badge(invitation.role, variant="soft")),
        rx.table.cell(
            rx.button("Withdraw", on_click=WorkspacesState.withdraw(invitation.id), variant="soft", size="1",
                      aria_label="Withdraw the invitation of " + invitation.email.to(str))
        ),
    )


def invite_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(name="email", type="email", placeholder="colleague@example.com", aria_label="Email to invite",
                     required=True, flex="1", min_width="14rem"),
            rx.select(ROLES, name="role", default_value="viewer", aria_label="Role for the invitation"),
            rx.button(rx.icon("user-plus", size=14), "Invite", type="submit"),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        on_submit=WorkspacesState.invite,
        reset_on_submit=True,
        width="100%",
    )


def details() -> rx.Component:
    admin_tools = rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="name", default_value=WorkspacesState.selected_name, key=WorkspacesState.selected_name,
                         aria_label="Workspace name", max_length=100, width="100%"),
                rx.button("Rename", type="submit", variant="soft"),
                rx.button("Delete workspace", type="button", color_scheme="red", variant="soft",
                          on_click=WorkspacesState.ask_delete),
                spacing="2",
                width="100%",
            ),
            on_submit=WorkspacesState.rename,
            width="100%",
        ),
        rx.heading("Invite", size="3", as_="h3"),
        invite_form(),
        spacing="3",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(WorkspacesState.selected_name, size="5", as_="h2"),
                      rx.badge("you are " + WorkspacesState.selected_role), spacing="3", align="center"),
            rx.text(ROLE_HELP, size="2", color_scheme="gray"),
            rx.cond(WorkspacesState.is_admin_here, admin_tools, rx.fragment()),
            rx.heading("Members", size="3", as_="h3"),
            rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell("Member"),
                                             rx.table.column_header_cell("Role"), rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(WorkspacesState.members, member_row),
                              rx.foreach(WorkspacesState.invitations, invitation_row)),
                width="100%",
                aria_label="Members",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def workspaces_content() -> rx.Component:
    return rx.vstack(
        page_header("Workspaces", "Share sources, questions, insights and chats with a team."),
        rx.flex(
            rx.vstack(
                create_form(),
                rx.foreach(WorkspacesState.items, workspace_item),
                spacing="2",
                width=["100%", "100%", "18rem"],
                min_width=["100%", "100%", "18rem"],
            ),
            rx.cond(
                WorkspacesState.selected_id > 0,
                details(),
                rx.cond(WorkspacesState.loaded, rx.text("No workspace yet: create one to invite your team.",
                                                        color_scheme="gray"), rx.fragment()),
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
            align="start",
        ),
        confirm_dialog(
            open_=WorkspacesState.confirming_delete,
            title="Delete this workspace?",
            description="Members lose access; its sources, questions, insights, schedules and chats go back to "
            "the personal space of whoever made them.",
            confirm_label="Delete workspace",
            on_confirm=WorkspacesState.confirm_delete,
            on_cancel=WorkspacesState.cancel_delete,
        ),
        spacing="4",
        width="100%",
    )


def workspaces_page() -> rx.Component:
    return app_shell("Workspaces", workspaces_content)
