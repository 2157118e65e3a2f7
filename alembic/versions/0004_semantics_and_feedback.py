"""semantic layer edits on sources, feedback on answers, learned question -> SQL pairs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('semantics_json', sa.JSON(), nullable=True))
    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
    op.create_table('query_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('question_key', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('sql', sa.Text(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'question_key', name='uq_query_examples_source_key')
    )
    with op.batch_alter_table('query_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_query_examples_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_query_examples_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('query_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_query_examples_user_id'))
        batch_op.drop_index(batch_op.f('ix_query_examples_source_id'))
    op.drop_table('query_examples')
    with op.batch_alter_table('queries', schema=None) as batch_op:
        batch_op.drop_column('feedback')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('semantics_json')
