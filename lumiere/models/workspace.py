from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import WorkspaceRole
from lumiere.models._base import utcnow


class Workspace(SQLModel, table=True):
    """A team's space: its members see and ask its sources; editors and admins change its things."""

    __tablename__ = "workspaces"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # Whose plan limits the workspace (members); the creator, until ownership is handed over.
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WorkspaceMember(SQLModel, table=True):
    __tablename__ = "workspace_members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_workspace_members_workspace_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: WorkspaceRole = Field(default=WorkspaceRole.VIEWER, sa_type=AutoString(length=10))
    created_at: datetime = Field(default_factory=utcnow)


class WorkspaceInvitation(SQLModel, table=True):
    """An invitation to an address without an account yet: accepted on registration or from its link."""

    __tablename__ = "workspace_invitations"
    __table_args__ = (UniqueConstraint("workspace_id", "email", name="uq_workspace_invitations_workspace_email"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254, index=True)
    role: WorkspaceRole = Field(default=WorkspaceRole.VIEWER, sa_type=AutoString(length=10))
    invited_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = Field(default=None)
