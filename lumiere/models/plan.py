from datetime import datetime

from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class Plan(SQLModel, table=True):
    """A plan users are on; every limit `None` means unlimited. `free` and `pro` are created by the
    migration, admins edit them and add others."""

    __tablename__ = "plans"

    name: str = Field(primary_key=True, max_length=20)
    title: str = Field(max_length=60)
    description: str = Field(default="", max_length=300)
    price_usd_per_month: float = Field(default=0.0)
    queries_per_month: int | None = Field(default=None)
    sources: int | None = Field(default=None)
    storage_mb: int | None = Field(default=None)
    llm_usd_per_month: float | None = Field(default=None)
    schedules: int | None = Field(default=None)
    share_links: int | None = Field(default=None)
    workspace_members: int | None = Field(default=None)
    requests_per_minute: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
