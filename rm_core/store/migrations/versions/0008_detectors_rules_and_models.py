"""detectors: a rule row may be an ML model (kind, current threshold); threshold moves live in the rule history

Revision ID: 0008
Revises: 0006 (another branch adds 0007; whoever merges re-chains this one after it)
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

THRESHOLD_CHECK = ("(kind = 'rule' and threshold is null) or "
                   "(kind = 'model' and threshold is not null and threshold >= 0 and threshold <= 1)")


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table to add the checks; every existing row becomes a rule
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='rule'))
        batch_op.add_column(sa.Column('threshold', sa.Float(), nullable=True))
        batch_op.create_check_constraint('ck_rules_kind', "kind in ('rule','model')")
        batch_op.create_check_constraint('ck_rules_threshold', THRESHOLD_CHECK)
    with op.batch_alter_table('rule_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('threshold_from', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('threshold_to', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rule_events', schema=None) as batch_op:
        batch_op.drop_column('threshold_to')
        batch_op.drop_column('threshold_from')
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_constraint('ck_rules_threshold', type_='check')
        batch_op.drop_constraint('ck_rules_kind', type_='check')
        batch_op.drop_column('threshold')
        batch_op.drop_column('kind')
