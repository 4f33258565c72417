"""MO ids up to 64 characters: imported files keep external ids as given (MITRE F3's `F1007.001`, `ext:abc-42`).

Revision ID: 0005
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# every column that holds an MO id
COLUMNS = (('mos', 'id'), ('mo_versions', 'mo_id'), ('index_outbox', 'mo_id'), ('rule_mos', 'mo_id'),
           ('requests', 'mo_id'), ('gap_evidence', 'mo_id'))


def _resize(length_from: int, length_to: int) -> None:
    # SQLite does not enforce VARCHAR lengths (and rebuilding `mos` under its foreign keys would be needless risk);
    # PostgreSQL widens a varchar in place, referenced key included.
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, existing_type=sa.String(length=length_from), type_=sa.String(length=length_to))


def upgrade() -> None:
    _resize(32, 64)


def downgrade() -> None:
    _resize(64, 32)
