"""The policy's tables: the control audit log, active alerts and rules, SLO events per minute.

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tt_control_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("mode_from", sa.String(16), nullable=False),
        sa.Column("mode_to", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_control_audit_service_at", "tt_control_audit", ["project", "service", "at"])
    op.create_table(
        "tt_policy_active",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(300), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("since", sa.Double, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "tt_slo_minutes",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("slo", sa.String(64), primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("bad", sa.Double, nullable=False),
        sa.Column("total", sa.Double, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "tt_slo_totals",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("slo", sa.String(64), primary_key=True),
        sa.Column("bad", sa.Double, nullable=False),
        sa.Column("total", sa.Double, nullable=False),
    )


def downgrade() -> None:
    for name in ("tt_slo_totals", "tt_slo_minutes", "tt_policy_active", "tt_control_audit"):
        op.drop_table(name)
