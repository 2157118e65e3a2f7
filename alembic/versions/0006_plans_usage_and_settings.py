"""plans usage tokens and account settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Plans live in the database with `free` and `pro` created here; the free plan is generous enough
that someone trying Lumiere does not meet a limit in their first week.
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plans = op.create_table('plans',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('price_usd_per_month', sa.Float(), nullable=False),
    sa.Column('queries_per_month', sa.Integer(), nullable=True),
    sa.Column('sources', sa.Integer(), nullable=True),
    sa.Column('storage_mb', sa.Integer(), nullable=True),
    sa.Column('llm_usd_per_month', sa.Float(), nullable=True),
    sa.Column('schedules', sa.Integer(), nullable=True),
    sa.Column('share_links', sa.Integer(), nullable=True),
    sa.Column('workspace_members', sa.Integer(), nullable=True),
    sa.Column('requests_per_minute', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    now = datetime.now(UTC)
    op.bulk_insert(plans, [
        {
            'name': 'free', 'title': 'Free', 'price_usd_per_month': 0.0,
            'description': 'For trying Lumiere and for personal use.',
            'queries_per_month': 1000, 'sources': 25, 'storage_mb': 2048, 'llm_usd_per_month': 1.0,
            'schedules': 5, 'share_links': 20, 'workspace_members': 3, 'requests_per_minute': 120,
            'created_at': now, 'updated_at': now,
        },
        {
            'name': 'pro', 'title': 'Pro', 'price_usd_per_month': 20.0,
            'description': 'For teams who ask every day.',
            'queries_per_month': 20000, 'sources': 250, 'storage_mb': 51200, 'llm_usd_per_month': 25.0,
            'schedules': 100, 'share_links': 1000, 'workspace_members': 50, 'requests_per_minute': 600,
            'created_at': now, 'updated_at': now,
        },
    ])
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('usage_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'metric', 'period', name='uq_usage_counters_user_metric_period')
    )
    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_counters_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('llm_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_key', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column('theme', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='system')
        )
        batch_op.add_column(sa.Column('llm_base_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('llm_model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('llm_model')
        batch_op.drop_column('llm_base_url')
        batch_op.drop_column('theme')
        batch_op.drop_column('disabled')

    with op.batch_alter_table('llm_calls', schema=None) as batch_op:
        batch_op.drop_column('user_key')

    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_counters_user_id'))

    op.drop_table('usage_counters')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_token_hash'))

    op.drop_table('api_tokens')
    op.drop_table('plans')
