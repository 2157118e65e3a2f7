"""public share links, workspaces with members and invitations, and workspace_id on what a workspace holds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('workspaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspaces_owner_id'), ['owner_id'], unique=False)

    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('query_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('snapshot_json', sa.JSON(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.Column('last_viewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_query_id'), ['query_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_share_links_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workspace_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sa.UniqueConstraint('workspace_id', 'email', name='uq_workspace_invitations_workspace_email')
    )
    with op.batch_alter_table('workspace_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_workspace_invitations_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workspace_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'user_id', name='uq_workspace_members_workspace_user')
    )
    with op.batch_alter_table('workspace_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workspace_members_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_chat_sessions_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_chat_sessions_workspace_id', 'workspaces', ['workspace_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('insights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_insights_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_insights_workspace_id', 'workspaces', ['workspace_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_queries_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_queries_workspace_id', 'workspaces', ['workspace_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_schedules_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_schedules_workspace_id', 'workspaces', ['workspace_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sources_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_sources_workspace_id', 'workspaces', ['workspace_id'], ['id'], ondelete='SET NULL'
        )



def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sources_workspace_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sources_workspace_id'))
        batch_op.drop_column('workspace_id')

    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_constraint('fk_schedules_workspace_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_schedules_workspace_id'))
        batch_op.drop_column('workspace_id')

    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_queries_workspace_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_queries_workspace_id'))
        batch_op.drop_column('workspace_id')

    with op.batch_alter_table('insights', schema=None) as batch_op:
        batch_op.drop_constraint('fk_insights_workspace_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_insights_workspace_id'))
        batch_op.drop_column('workspace_id')

    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_chat_sessions_workspace_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_chat_sessions_workspace_id'))
        batch_op.drop_column('workspace_id')

    with op.batch_alter_table('workspace_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_members_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_workspace_members_user_id'))

    op.drop_table('workspace_members')
    with op.batch_alter_table('workspace_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_invitations_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_workspace_invitations_email'))

    op.drop_table('workspace_invitations')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_user_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_token_hash'))
        batch_op.drop_index(batch_op.f('ix_share_links_query_id'))

    op.drop_table('share_links')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspaces_owner_id'))

    op.drop_table('workspaces')
