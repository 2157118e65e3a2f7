from datetime import datetime

from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class Pin(SQLModel, table=True):
    """A saved answer pinned to a dashboard: the user's own (`workspace_id` None) or a workspace's, drawn
    from the query's current rows each time the dashboard opens."""

    __tablename__ = "pins"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The dashboard it is on: a workspace's, or (None) the user's personal one.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="CASCADE")
    # Deleting the history entry takes the pin off the dashboard.
    query_id: int = Field(foreign_key="queries.id", index=True, ondelete="CASCADE")
    # Order on the dashboard (0 first); kept dense by the service.
    position: int = Field(default=0)
    # How many grid columns it spans: 1 (narrow) to 3 (full width).
    width: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
