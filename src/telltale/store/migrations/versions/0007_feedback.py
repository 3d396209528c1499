"""Feedback and delayed labels, per-minute realized performance, hourly trust counts, the review queue, confidence per minute.

Revision ID: 0007
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tt_feedback_events",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("prediction_id", sa.String(200), nullable=False),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("received_at", sa.Double, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_feedback_events_pred", "tt_feedback_events", ["project", "service", "prediction_id"])
    op.create_table(
        "tt_feedback",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("prediction_id", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("n_events", sa.Integer, nullable=False),
        sa.Column("pred_ts", sa.Double, nullable=True),
        sa.Column("pair", sa.Text, nullable=True),
    )
    op.create_table(
        "tt_perf_minutes",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "tt_trust_hours",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("hour", sa.BigInteger, primary_key=True),
        sa.Column("actor", sa.String(200), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "tt_reviews",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("prediction_id", sa.String(200), primary_key=True),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Double, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.Double, nullable=True),
        sa.Column("decided_at", sa.Double, nullable=True),
    )
    op.create_index("ix_tt_reviews_open", "tt_reviews", ["project", "service", "decided_at", "ts"])
    op.create_table(
        "tt_conf_minutes",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tt_conf_minutes")
    op.drop_index("ix_tt_reviews_open", table_name="tt_reviews")
    for name in ("tt_reviews", "tt_trust_hours", "tt_perf_minutes", "tt_feedback"):
        op.drop_table(name)
    op.drop_index("ix_tt_feedback_events_pred", table_name="tt_feedback_events")
    op.drop_table("tt_feedback_events")
