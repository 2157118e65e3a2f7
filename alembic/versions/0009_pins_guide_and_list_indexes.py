"""pinned answers on dashboards, the first-run guide's dismissal, and indexes for the history, insight,
chat, LLM-usage and admin lists (checked with EXPLAIN in tests/unit/test_query_plans.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ('queries', 'ix_queries_user_workspace_created', ['user_id', 'workspace_id', 'created_at', 'id']),
    ('queries', 'ix_queries_workspace_created', ['workspace_id', 'created_at', 'id']),
    ('insights', 'ix_insights_user_workspace_created', ['user_id', 'workspace_id', 'created_at', 'id']),
    ('insights', 'ix_insights_workspace_created', ['workspace_id', 'created_at', 'id']),
    ('chat_sessions', 'ix_chat_sessions_user_workspace_updated', ['user_id', 'workspace_id', 'updated_at', 'id']),
    ('llm_calls', 'ix_llm_calls_user_created', ['user_id', 'created_at']),
    ('users', 'ix_users_created_at', ['created_at']),
)


def upgrade() -> None:
    op.create_table('pins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['query_id'], ['queries.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pins_query_id'), ['query_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pins_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pins_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guide_dismissed', sa.Boolean(), nullable=False, server_default=sa.false()))

    for table, name, columns in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('guide_dismissed')
    with op.batch_alter_table('pins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pins_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_pins_user_id'))
        batch_op.drop_index(batch_op.f('ix_pins_query_id'))
    op.drop_table('pins')
