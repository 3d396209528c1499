"""Alerts: current state and history, notification groups, the durable outbox, delivery
attempts, receiver breakers and silences.

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("tt_alerts", "tt_alert_events", "tt_alert_groups", "tt_alert_outbox", "tt_alert_deliveries", "tt_alert_receivers", "tt_silences")


def upgrade() -> None:
    op.create_table(
        "tt_alerts",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(200), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("group_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("fired_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_alerts_live", "tt_alerts", ["live"])
    op.create_index("ix_tt_alerts_service", "tt_alerts", ["project", "service"])
    op.create_table(
        "tt_alert_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_alert_events_service_at", "tt_alert_events", ["project", "service", "at"])
    op.create_table(
        "tt_alert_groups",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("receiver", sa.String(64), primary_key=True),
        sa.Column("group_key", sa.String(300), primary_key=True),
        sa.Column("notified_at", sa.Double, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "tt_alert_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(64), nullable=False),
        sa.Column("group_key", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("next_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_alert_outbox_due", "tt_alert_outbox", ["status", "next_at"])
    op.create_table(
        "tt_alert_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(64), nullable=False),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("group_key", sa.String(300), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Double, nullable=True),
    )
    op.create_index("ix_tt_alert_deliveries_service_at", "tt_alert_deliveries", ["project", "service", "at"])
    op.create_table(
        "tt_alert_receivers",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("receiver", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("open_until", sa.Double, nullable=True),
        sa.Column("last_sent_at", sa.Double, nullable=True),
    )
    op.create_table(
        "tt_silences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("matchers", sa.Text, nullable=False),
        sa.Column("starts_at", sa.Double, nullable=False),
        sa.Column("ends_at", sa.Double, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_silences_project_ends", "tt_silences", ["project", "ends_at"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
