"""share links (signed, revocable read-only capabilities) and workshop co-facilitators

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_links',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_created_by'), ['created_by'], unique=False)
    with op.batch_alter_table('workshop_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('co_facilitators', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workshop_sessions', schema=None) as batch_op:
        batch_op.drop_column('co_facilitators')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_created_by'))
    op.drop_table('share_links')
