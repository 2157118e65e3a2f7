"""SQL the user wrote gets its own engine value

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Until now a user's own SQL was recorded with engine "builtin". Those rows are the ones with
origin "sql"; they become engine "user". A re-run copies its engine from the entry it re-ran,
and nothing stored says which entry that was, so re-runs keep the value they have.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE queries SET engine = 'user' WHERE origin = 'sql' AND engine = 'builtin'")


def downgrade() -> None:
    op.execute("UPDATE queries SET engine = 'builtin' WHERE engine = 'user'")
