"""idea intake: ideas submitted all year, their supporters, and the link from a workshop card to its intake idea

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake_ideas',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('proposed_change', sa.Text(), nullable=False),
    sa.Column('expected_impact', sa.Text(), nullable=False),
    sa.Column('affected_mos', sa.JSON(), nullable=False),
    sa.Column('affected_rules', sa.JSON(), nullable=False),
    sa.Column('affected_gaps', sa.JSON(), nullable=False),
    sa.Column('ai_based', sa.Boolean(), nullable=False),
    sa.Column('theme', sa.String(length=64), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('submitter', sa.String(length=64), nullable=False),
    sa.Column('submitter_label', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('merged_into', sa.String(length=16), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('triaged_at', sa.DateTime(), nullable=True),
    sa.Column('triaged_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('new','under_review','accepted','merged','declined')",
                       name='ck_intake_ideas_status'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('intake_ideas', schema=None) as batch_op:
        batch_op.create_index('ix_intake_ideas_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_ideas_submitter'), ['submitter'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_ideas_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('intake_supporters',
    sa.Column('idea_id', sa.String(length=16), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('via', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['intake_ideas.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('idea_id', 'user_name')
    )

    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_idea_id', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_ideas_intake_idea_id'), ['intake_idea_id'], unique=False)
        batch_op.create_foreign_key('fk_ideas_intake_idea_id', 'intake_ideas', ['intake_idea_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ideas_intake_idea_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ideas_intake_idea_id'))
        batch_op.drop_column('intake_idea_id')
    op.drop_table('intake_supporters')
    with op.batch_alter_table('intake_ideas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_ideas_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_intake_ideas_submitter'))
        batch_op.drop_index('ix_intake_ideas_status')
    op.drop_table('intake_ideas')
