"""the seeded plans' question rate: 60 a minute on free and 300 on pro (0006 seeded 120 and 600)

Only rows still at the old seeded value change, so a limit an admin has edited stays as it is.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RATES = (('free', 120, 60), ('pro', 600, 300))
_UPDATE = sa.text("UPDATE plans SET requests_per_minute = :new WHERE name = :name AND requests_per_minute = :old")


def upgrade() -> None:
    for name, old, new in _RATES:
        op.get_bind().execute(_UPDATE, {"name": name, "old": old, "new": new})


def downgrade() -> None:
    for name, old, new in _RATES:
        op.get_bind().execute(_UPDATE, {"name": name, "old": new, "new": old})
