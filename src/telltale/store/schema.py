"""The store's tables, in SQLAlchemy Core: one schema for SQLite and PostgreSQL.

Everything is scoped by ``project``: a token belongs to one project and every query
filters on it, so one project can never read or change another's rows. Records keep
their whole JSON form in ``payload`` (read back as :class:`PredictionRecord`) beside the
few columns queries filter on. Minute profiles are opaque bytes from
``Profile.to_bytes()``, merged in Python under a row lock.
"""

from __future__ import annotations

import sqlalchemy as sa

from telltale.wire import MAX_ID_LEN as _MAX_ID_LEN

metadata = sa.MetaData()

#: Longest record id accepted (declared with the record's wire schema).
MAX_ID_LEN = _MAX_ID_LEN

projects = sa.Table(
    "tt_projects",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

tokens = sa.Table(
    "tt_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 hex of the token; the plaintext is never stored"),
    sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), nullable=False, index=True),
    sa.Column("created_at", sa.Double, nullable=False),
    # migration 0004: scopes, names, expiry, revocation and per-token rates
    sa.Column("scope", sa.String(16), nullable=False, server_default="admin", comment="ingest | read | admin"),
    sa.Column("name", sa.String(64), nullable=False, server_default="", comment="what the token is for, as its creator said"),
    sa.Column("expires_at", sa.Double, nullable=True, comment="epoch seconds; null: never"),
    sa.Column("revoked_at", sa.Double, nullable=True, comment="epoch seconds; null: not revoked"),
    sa.Column("rate_per_s", sa.Double, nullable=True, comment="requests per second allowed; null: the server's default"),
)

services = sa.Table(
    "tt_services",
    metadata,
    sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

predictions = sa.Table(
    "tt_predictions",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(MAX_ID_LEN), primary_key=True, comment="unique per (project, service) since migration 0002"),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("model_version", sa.String(128)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("n_violations", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="PredictionRecord.to_dict() as JSON"),
    sa.Index("ix_tt_predictions_service_ts", "project", "service", "ts"),
)

minute_profiles = sa.Table(
    "tt_minute_profiles",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("model_version", sa.String(128), primary_key=True, comment="'' when the records carry none"),
    sa.Column("minute", sa.BigInteger, primary_key=True, comment="epoch seconds of the minute's start"),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True, comment="Profile.to_bytes(); null only inside the inserting transaction"),
    sa.Column("updated_at", sa.Double, nullable=True, comment="store clock at the last fold: how the monitor finds windows late records changed"),
    sa.Index("ix_tt_minute_profiles_updated", "project", "service", "updated_at"),
)

references = sa.Table(
    "tt_references",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

controls = sa.Table(
    "tt_controls",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# feedback, realized performance and trust (migration 0007) ---------------------------

feedback_events = sa.Table(
    "tt_feedback_events",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True, comment="idempotency key: a replayed event is stored once"),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("prediction_id", sa.String(MAX_ID_LEN), nullable=False),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("received_at", sa.Double, nullable=False),
    sa.Column("event", sa.Text, nullable=False, comment="FeedbackEvent.to_dict() as JSON"),
    sa.Index("ix_tt_feedback_events_pred", "project", "service", "prediction_id"),
)

feedback = sa.Table(
    "tt_feedback",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("prediction_id", sa.String(MAX_ID_LEN), primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, comment="the current event (the newest by ts)"),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False, comment="JSON of the label it is scored against (null for flags or an action alone)"),
    sa.Column("n_events", sa.Integer, nullable=False),
    sa.Column("pred_ts", sa.Double, nullable=True, comment="the prediction's ts once joined; null while pending"),
    sa.Column("pair", sa.Text, nullable=True, comment="the Pair folded into tt_perf_minutes, to un-fold it exactly"),
    sa.Index("ix_tt_feedback_service_ts", "project", "service", "ts"),  # migration 0010: feedback SLO indicators per minute
)

perf_minutes = sa.Table(
    "tt_perf_minutes",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True, comment="minute of the prediction's ts"),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False, comment="performance.Summary.to_bytes()"),
)

label_updates = sa.Table(
    "tt_label_updates",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True, comment="a minute of prediction time whose tt_perf_minutes row changed"),
    sa.Column("version", sa.BigInteger, nullable=False,
              comment="bumped by every label fold (migration 0009): the monitor clears the row only at the version it judged"),
    sa.Column("updated_at", sa.Double, nullable=False, comment="store clock at the last label fold"),
)

trust_hours = sa.Table(
    "tt_trust_hours",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("hour", sa.BigInteger, primary_key=True, comment="start of the hour of the feedback's ts"),
    sa.Column("actor", sa.String(200), primary_key=True, comment="'' when the feedback names none"),
    sa.Column("data", sa.Text, nullable=False, comment="feedback.TrustCounts.to_json()"),
)

reviews = sa.Table(
    "tt_reviews",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("prediction_id", sa.String(MAX_ID_LEN), primary_key=True),
    sa.Column("ts", sa.Double, nullable=False, comment="the decision's ts"),
    sa.Column("reason", sa.String(32), nullable=False, comment="review (routed by the guard) or low_confidence (sampled)"),
    sa.Column("confidence", sa.Double, nullable=True),
    sa.Column("claimed_by", sa.String(200), nullable=True),
    sa.Column("claimed_at", sa.Double, nullable=True),
    sa.Column("decided_at", sa.Double, nullable=True),
    sa.Index("ix_tt_reviews_open", "project", "service", "decided_at", "ts"),
)

conf_minutes = sa.Table(
    "tt_conf_minutes",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True, comment="minute of the predictions' ts"),
    sa.Column("data", sa.Text, nullable=False, comment="performance.confidence.ConfHist.to_json(): every served prediction's confidence"),
)

# alerts (migration 0006): current state, history, groups, outbox, deliveries, breakers, silences

alerts = sa.Table(
    "tt_alerts",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(200), primary_key=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("group_key", sa.String(200), nullable=False, comment="the incident, or the fingerprint when there is none"),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("fired_at", sa.Double, nullable=False, comment="store time this firing episode was first enqueued"),
    sa.Column("updated_at", sa.Double, nullable=False, comment="store time of the last change of state or severity"),
    sa.Column("live", sa.Boolean, nullable=False, comment="firing, or resolved and not yet told to every receiver"),
    sa.Column("payload", sa.Text, nullable=False, comment="the Alert as JSON"),
    sa.Index("ix_tt_alerts_live", "live"),
    sa.Index("ix_tt_alerts_service", "project", "service"),
)

alert_events = sa.Table(
    "tt_alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(64), nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(200), nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Index("ix_tt_alert_events_service_at", "project", "service", "at"),
)

alert_groups = sa.Table(
    "tt_alert_groups",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("receiver", sa.String(64), primary_key=True),
    sa.Column("group_key", sa.String(300), primary_key=True),
    sa.Column("notified_at", sa.Double, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, comment="hash of the firing alerts last notified"),
)

alert_outbox = sa.Table(
    "tt_alert_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(64), nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("receiver", sa.String(64), nullable=False),
    sa.Column("group_key", sa.String(300), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, comment="pending, sent, rejected or expired"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("next_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("payload", sa.Text, nullable=False, comment="the Notification as JSON"),
    sa.Index("ix_tt_alert_outbox_due", "status", "next_at"),
)

alert_deliveries = sa.Table(
    "tt_alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(64), nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("receiver", sa.String(64), nullable=False),
    sa.Column("outbox_id", sa.Integer, nullable=False),
    sa.Column("group_key", sa.String(300), nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, comment="ok, failed, rejected or expired"),
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Double, nullable=True),
    sa.Index("ix_tt_alert_deliveries_service_at", "project", "service", "at"),
)

alert_receivers = sa.Table(
    "tt_alert_receivers",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("receiver", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, comment="consecutive failed attempts"),
    sa.Column("open_until", sa.Double, nullable=True, comment="the breaker lets no attempt through before this"),
    sa.Column("last_sent_at", sa.Double, nullable=True),
)

silences = sa.Table(
    "tt_silences",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project", sa.String(64), nullable=False),
    sa.Column("matchers", sa.Text, nullable=False, comment="JSON object: label -> value, all must match"),
    sa.Column("starts_at", sa.Double, nullable=False),
    sa.Column("ends_at", sa.Double, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Index("ix_tt_silences_project_ends", "project", "ends_at"),
)

# -- the monitor's memory (migration 0003) ---------------------------------------------

findings = sa.Table(
    "tt_findings",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(512), nullable=False, comment="service/kind/feature-or-stage"),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("feature", sa.String(256)),
    sa.Column("severity", sa.String(8), nullable=False, comment="the worst of its windows"),
    sa.Column("opened", sa.Double, nullable=False, comment="start of its first window"),
    sa.Column("last_seen", sa.Double, nullable=False, comment="end of its last window"),
    sa.Column("resolved", sa.Double, comment="null while open"),
    sa.Column("misses", sa.Integer, nullable=False, comment="windows with records since last_seen that lacked it"),
    sa.Column("cause", sa.String(32), comment="id of the finding this one is a consequence of"),
    sa.Column("change", sa.Text, comment="the nearest preceding version change, in words"),
    sa.Column("latest", sa.Text, nullable=False, comment="Finding.to_dict() of its newest window, JSON"),
    sa.Index("ix_tt_findings_service_opened", "project", "service", "opened"),
    sa.Index("ix_tt_findings_service_resolved", "project", "service", "resolved"),
)

finding_windows = sa.Table(
    "tt_finding_windows",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("finding_id", sa.String(32), primary_key=True),
    sa.Column("start", sa.Double, primary_key=True),
    sa.Column("end", sa.Double, nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(512), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("data", sa.Text, nullable=False, comment="Finding.to_dict() of this window, JSON"),
    sa.Index("ix_tt_finding_windows_service_start", "project", "service", "start"),
)

monitor_state = sa.Table(
    "tt_monitor_state",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("evaluated_until", sa.Double, nullable=False, comment="end of the last closed window evaluated"),
    sa.Column("watermark", sa.Double, nullable=False, comment="newest minute-profile updated_at already evaluated"),
    sa.Column("ticked_at", sa.Double, nullable=False),
)

component_versions = sa.Table(
    "tt_component_versions",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("component", sa.String(128), primary_key=True, comment="'model' for the model version"),
    sa.Column("version", sa.String(256), primary_key=True),
    sa.Column("first_seen", sa.Double, nullable=False),
    sa.Column("last_seen", sa.Double, nullable=False, comment="kept to within a minute"),
)

changes = sa.Table(
    "tt_changes",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("component", sa.String(128), primary_key=True),
    sa.Column("first_seen", sa.Double, primary_key=True, comment="ts of the first record with the new version"),
    sa.Column("from_version", sa.String(256), comment="null when the component first appeared"),
    sa.Column("to_version", sa.String(256), nullable=False),
)

# -- the policy (migration 0005) ---------------------------------------------------------

control_audit = sa.Table(
    "tt_control_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(64), nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("mode_from", sa.String(16), nullable=False),
    sa.Column("mode_to", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, comment="rule:<name> or person:<who>"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_tt_control_audit_service_at", "project", "service", "at"),
    comment="append-only: every change of a service's control mode, by whom and why",
)

policy_active = sa.Table(
    "tt_policy_active",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(300), primary_key=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("since", sa.Double, nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="the firing Alert as JSON"),
    comment="the alerts and rules the policy holds active, so each fires and resolves once",
)

slo_minutes = sa.Table(
    "tt_slo_minutes",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("slo", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True),
    sa.Column("bad", sa.Double, nullable=False),
    sa.Column("total", sa.Double, nullable=False),
    sa.Column("records", sa.BigInteger, nullable=False),
    comment="good and bad events per SLO per minute, computed once from the minute profiles",
)

slo_totals = sa.Table(
    "tt_slo_totals",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("slo", sa.String(64), primary_key=True),
    sa.Column("bad", sa.Double, nullable=False),
    sa.Column("total", sa.Double, nullable=False),
    comment="running sums of tt_slo_minutes: the counters /metrics exports for Prometheus",
)

# -- leases: background work one replica does for all (migration 0008) -----------------

leases = sa.Table(
    "tt_leases",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True, comment="what the lease guards, e.g. 'jobs'"),
    sa.Column("holder", sa.String(200), nullable=False, comment="host:pid:nonce of the replica holding it"),
    sa.Column("acquired_at", sa.Double, nullable=False, comment="when this holder took it"),
    sa.Column("expires_at", sa.Double, nullable=False, comment="free for another holder from this time on"),
    sa.Column("moves", sa.BigInteger, nullable=False, comment="times it changed holder: a fencing counter"),
    comment="one row per lease; taken and renewed by conditional upserts, so one holder at a time",
)
