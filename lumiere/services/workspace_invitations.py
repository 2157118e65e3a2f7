"""Invitations to a workspace for addresses without an account yet.

The token is random (256 bits) and stored only as its SHA-256; the invitation is accepted when an
account with its address registers (`accept_pending`, called by registration) or when a signed-in
user opens its link (`accept_token`). Kept apart from `workspaces` so registration can call it
without importing the account services back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from lumiere.config import get_settings
from lumiere.core.enums import WorkspaceRole
from lumiere.core.errors import NotFound
from lumiere.db import saved_id
from lumiere.models import User, Workspace, WorkspaceInvitation, WorkspaceMember
from lumiere.models._base import iso_utc, utcnow
from lumiere.services.mail.mailer import MailRefused, MailUnavailable, connect, email_configured

INVITE_PATH = "/workspaces?invite="


@dataclass(frozen=True)
class InvitationView:
    id: int
    email: str
    role: WorkspaceRole
    created_at: str
    emailed: bool = False  # sent by email now (only on creation: SMTP configured and the server took it)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(token: str) -> str:
    return f"{get_settings().public_url}{INVITE_PATH}{token}"


def public_invitation(invitation: WorkspaceInvitation, *, emailed: bool = False) -> InvitationView:
    return InvitationView(
        id=saved_id(invitation),
        email=invitation.email,
        role=WorkspaceRole(invitation.role),
        created_at=iso_utc(invitation.created_at),
        emailed=emailed,
    )


def create_invitation(
    session: Session, inviter: User, workspace: Workspace, email: str, role: WorkspaceRole
) -> tuple[WorkspaceInvitation, str]:
    """A pending invitation (or the existing one for that address, with its role updated and a new token)."""
    token = secrets.token_urlsafe(32)
    invitation = session.exec(
        select(WorkspaceInvitation).where(
            WorkspaceInvitation.workspace_id == workspace.id,
            WorkspaceInvitation.email == email,
            col(WorkspaceInvitation.accepted_at).is_(None),
        )
    ).first()
    if invitation is None:
        invitation = WorkspaceInvitation(workspace_id=saved_id(workspace), email=email, token_hash=token_hash(token))
    invitation.role = role
    invitation.invited_by = inviter.id
    invitation.token_hash = token_hash(token)
    session.add(invitation)
    session.flush()
    return invitation, token


def email_invitation(inviter: User, workspace: Workspace, email: str, token: str) -> bool:
    """Sends the invitation when SMTP is configured; False when it is not or the server refused it
    (the invitation still waits, shown as pending, and registering with the address accepts it)."""
    if not email_configured():
        return False
    message = EmailMessage()
    message["Subject"] = f"{inviter.name} invited you to {workspace.name} on Lumiere"[:200]
    message["From"] = get_settings().smtp_from
    message["To"] = email
    message.set_content(
        f"{inviter.name} ({inviter.email}) invited you to the workspace “{workspace.name}” on Lumiere.\n\n"
        f"Create an account with this address, or sign in and open this link to join:\n{invite_url(token)}\n"
    )
    try:
        with connect() as mailer:
            mailer.send(message)
    except (MailUnavailable, MailRefused):
        return False
    return True


def _join(session: Session, user: User, invitation: WorkspaceInvitation) -> None:
    """Adds the member (keeping a role they already have) and marks the invitation accepted."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(WorkspaceMember.__table__)  # type: ignore[attr-defined]
        .values(workspace_id=invitation.workspace_id, user_id=saved_id(user), role=WorkspaceRole(invitation.role).value,
                created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["workspace_id", "user_id"])
    )
    invitation.accepted_at = utcnow()
    session.add(invitation)


def accept_pending(session: Session, user: User) -> int:
    """Accepts every pending invitation to the user's address (on registration); how many."""
    pending = session.exec(
        select(WorkspaceInvitation).where(
            WorkspaceInvitation.email == user.email, col(WorkspaceInvitation.accepted_at).is_(None)
        )
    ).all()
    for invitation in pending:
        _join(session, user, invitation)
    session.flush()
    return len(pending)


def accept_token(session: Session, user: User, token: object) -> int:
    """Accepts the invitation of a link for the signed-in user; the workspace's id. An unknown or used
    token is a 404 (the link says nothing about the workspace)."""
    invitation = (
        session.exec(
            select(WorkspaceInvitation).where(
                WorkspaceInvitation.token_hash == token_hash(token), col(WorkspaceInvitation.accepted_at).is_(None)
            )
        ).first()
        if isinstance(token, str) and 20 <= len(token) <= 100
        else None
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid any more: it was used or withdrawn. Ask for a new one.")
    _join(session, user, invitation)
    session.flush()
    return invitation.workspace_id
