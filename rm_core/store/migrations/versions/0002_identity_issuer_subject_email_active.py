"""Users: identity is issuer + subject, email and whether it is verified, active flag, no role until granted.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLE_CHECK = "role in ('viewer','editor','facilitator','admin')"


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.alter_column("role", existing_type=sa.String(length=16), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(length=8), nullable=False, server_default="local"))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("issuer", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_users_issuer_subject", ["issuer", "subject"])
        batch.create_index("ix_users_email", ["email"], unique=False)


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'viewer' WHERE role IS NULL")
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_index("ix_users_email")
        batch.drop_constraint("uq_users_issuer_subject", type_="unique")
        for column in ("last_seen_at", "email_verified", "email", "subject", "issuer", "active", "kind"):
            batch.drop_column(column)
        batch.alter_column("role", existing_type=sa.String(length=16), nullable=False)
