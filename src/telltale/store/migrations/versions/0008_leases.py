"""Leases: which server replica runs the background jobs (monitor, policy, alert outbox).

Revision ID: 0008
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tt_leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("moves", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tt_leases")
