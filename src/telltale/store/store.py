"""The store: one object over a SQLite file or a PostgreSQL database.

Every method takes the project first and every query filters on it: the project is the
unit of isolation a bearer token grants. Methods are thread-safe (each runs in its own
transaction on a pooled connection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.errors import StoreError, UnknownServiceError
from telltale.store import (
    _alerts,
    _audit,
    _backfill,
    _changes,
    _feedback,
    _findings,
    _indicator_data,
    _label_updates,
    _leases,
    _metrics,
    _pages,
    _planner_stats,
    _records,
    _reviews,
    _tokens,
    _windows,
)
from telltale.store._sql import insert_ignore, upsert
from telltale.store._tokens import TokenInfo
from telltale.store.engine import first_line, make_engine, migrate, read_tx, safe_url, write_tx
from telltale.store.schema import controls, projects, references, services
from telltale.types import Alert, Finding, PredictionRecord, StoredFinding

if TYPE_CHECKING:
    from telltale.alerts.silences import Silence
    from telltale.control import AuditEntry, ControlState
    from telltale.engines.minutes import MinuteProfile
    from telltale.feedback.counts import TrustCounts
    from telltale.feedback.event import FeedbackEvent
    from telltale.indicators import FindingValue, Queue
    from telltale.performance.confidence import ConfHist
    from telltale.performance.summary import Summary
    from telltale.profile import Profile
    from telltale.spec import ServiceSpec
    from telltale.store._changes import Change
    from telltale.store._feedback import FeedbackResult, FeedbackState
    from telltale.store._findings import Cursor, Evaluated
    from telltale.store._label_updates import LabelMark
    from telltale.store._leases import Lease
    from telltale.store._pages import Page
    from telltale.store._reviews import QueueStats, ReviewItem

@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a batch write did: records newly stored, and records already there (or repeated).

    ``new`` holds the newly stored records themselves, so callers count what they hold (the
    server's decision counters) without counting a replayed record twice."""

    inserted: int
    duplicates: int
    new: tuple[PredictionRecord, ...] = field(default=(), compare=False, repr=False)


class Store:
    """Records, profiles, specs, tokens and control modes, scoped per project.

    >>> store = Store.open("sqlite://")          # in-memory; use sqlite:///path for a file
    >>> store.project_for_token(store.create_token("demo"))
    'demo'
    """

    def __init__(self, engine: Engine, *, clock: Clock = SYSTEM_CLOCK, url: str = "") -> None:
        self._engine = engine
        self._clock = clock
        self.url = url
        self._planner_stats = _planner_stats.PlannerStats(engine)  # PostgreSQL: statistics of the joined tables kept current

    @classmethod
    def open(cls, url: str, *, clock: Clock = SYSTEM_CLOCK) -> Store:
        """Connect, migrate to the newest schema, and return a store; StoreError if unreachable."""
        engine = make_engine(url)
        try:
            migrate(engine)
        except StoreError as e:
            engine.dispose()
            raise StoreError(f"cannot open the store at {safe_url(url)}: {first_line(e.__cause__ or e)}; check that the database is running and the URL is right") from e
        return cls(engine, clock=clock, url=url)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _joined_write(self) -> Iterator[Connection]:
        """A write transaction on the tables the id joins probe (predictions, feedback); once it
        commits, their planner statistics are looked at (store/_planner_stats.py)."""
        with write_tx(self._engine) as conn:
            yield conn
        self._planner_stats.after_write()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def ping(self) -> None:
        """Raise StoreError unless the database answers a trivial query."""
        with read_tx(self._engine) as conn:
            conn.execute(sa.text("SELECT 1"))

    # projects and tokens -------------------------------------------------------------

    def ensure_project(self, project: str) -> None:
        _check_name("project", project)
        with write_tx(self._engine) as conn:
            self._ensure_project(conn, project)

    def create_token(self, project: str, *, scope: str = "admin", name: str = "", expires_at: float | None = None,
                     rate_per_s: float | None = None) -> str:
        """A new bearer token for ``project``; the plaintext is returned once and only its hash kept.

        ``scope`` is ``ingest``, ``read`` or ``admin`` (see ``store._tokens.SCOPES``).
        """
        _check_name("project", project)
        with write_tx(self._engine) as conn:
            self._ensure_project(conn, project)
            return _tokens.insert_token(conn, project, self._clock.now(), scope=scope, name=name,
                                        expires_at=expires_at, rate_per_s=rate_per_s)

    def token_info(self, token: str | None) -> TokenInfo | None:
        """What the store knows of ``token`` (active, revoked or expired), or None."""
        with read_tx(self._engine) as conn:
            return _tokens.lookup(conn, token)

    def project_for_token(self, token: str | None) -> str | None:
        """The project of an active token; None for one unknown, revoked or expired."""
        info = self.token_info(token)
        return info.project if info is not None and info.state(self._clock.now()) == "active" else None

    def list_tokens(self, project: str | None = None) -> list[TokenInfo]:
        with read_tx(self._engine) as conn:
            return _tokens.list_tokens(conn, project)

    def revoke_token(self, token_id: str, project: str | None = None) -> TokenInfo:
        """Revoke the token whose id (as ``list_tokens`` shows it) is ``token_id``."""
        with write_tx(self._engine) as conn:
            return _tokens.revoke(conn, token_id, self._clock.now(), project)

    def count_tokens(self, project: str) -> int:
        """Active tokens of ``project``."""
        with read_tx(self._engine) as conn:
            return _tokens.count_active(conn, project, self._clock.now())

    # services ------------------------------------------------------------------------

    def put_service(self, project: str, spec: ServiceSpec) -> None:
        """Register ``spec`` under its service name, replacing any earlier version."""
        with write_tx(self._engine) as conn:
            self._ensure_project(conn, project)
            upsert(conn, services, ("project", "name"), {
                "project": project, "name": spec.service, "spec_json": spec.model_dump_json(), "updated_at": self._clock.now(),
            })

    def get_service(self, project: str, service: str) -> ServiceSpec | None:
        with read_tx(self._engine) as conn:
            return _spec_in(conn, project, service)

    def list_services(self, project: str) -> list[ServiceSpec]:
        q = sa.select(services.c.spec_json).where(services.c.project == project).order_by(services.c.name)
        with read_tx(self._engine) as conn:
            return [_parse_spec(t) for t in conn.execute(q).scalars()]

    # predictions and profiles --------------------------------------------------------

    def write_predictions(self, project: str, records: Sequence[PredictionRecord]) -> WriteResult:
        """Store records not seen before (by id) and merge their profile into the minute rows.

        Idempotent: writing the same records again inserts nothing and counts nothing twice.
        """
        if not records:
            return WriteResult(0, 0)
        def spec_for(conn: Connection, service: str) -> ServiceSpec | None:
            return _spec_in(conn, project, service)

        with self._joined_write() as conn:
            new, dup = _records.insert_records(conn, project, records, spec_for, now=self._clock.now())
            # what is folded per prediction is folded for the new ones only: a replay counts once
            _feedback.fold_confidence(conn, project, new)  # what the performance estimate reads
            _feedback.join_arrived(conn, project, new, spec_for, self._clock.now())  # labels that came first
            _reviews.enqueue(conn, project, new, spec_for)  # the human-review queue
        return WriteResult(len(new), dup, tuple(new))

    def read_predictions(self, project: str, service: str, since: float, until: float, limit: int = 1000,
                         *, source: str | None = None) -> list[PredictionRecord]:
        """Records of ``service`` with ``since <= ts < until``, oldest first, at most ``limit``;
        only those served by ``source`` when given (``source="review"`` is the review queue)."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        with read_tx(self._engine) as conn:
            return _records.read_records(conn, project, service, since, until, limit, source)

    def count_predictions(self, project: str, service: str) -> int:
        with read_tx(self._engine) as conn:
            return _records.count_records(conn, project, service)

    def read_profile(self, project: str, service: str, since: float, until: float, *, model_version: str | None = None) -> Profile | None:
        """The merge of the minute profiles starting in [since, until); None when there are none."""
        with read_tx(self._engine) as conn:
            return _records.read_profile(conn, project, service, since, until, model_version)

    def read_minutes(self, project: str, service: str, since: float, until: float) -> list[tuple[int, Profile]]:
        """(minute, profile) for each minute with records in [since, until), oldest first:
        for a caller that merges many windows out of one read."""
        with read_tx(self._engine) as conn:
            return _records.read_minutes(conn, project, service, since, until)

    def backfill_minutes(self, project: str, service: str, minutes: Sequence[MinuteProfile], *, merge: bool = False,
                         progress: Callable[[int, int], None] | None = None) -> int:
        """Write backfilled minute profiles of a registered service, one transaction per
        chunk of minutes, stamped so the live monitor leaves them (``store/_backfill.py``);
        the rows written. Refuses with ``BackfillOverlap`` before writing anything when a
        target minute already holds a profile, unless ``merge``; ``BackfillRace`` when one
        gains a profile while this runs (that chunk rolled back, earlier ones kept)."""
        with read_tx(self._engine) as conn:
            if _spec_in(conn, project, service) is None:
                raise UnknownServiceError(f"service {service!r} is not registered in project {project!r}")
            if not merge:
                seen = _backfill.overlap(conn, project, service, minutes)
                if seen.first is not None:
                    raise _backfill.BackfillOverlap(service, seen.count, seen.first)
        rows = done = 0
        for chunk in _backfill.chunks(minutes):
            with write_tx(self._engine) as conn:
                rows += _backfill.write(conn, project, service, chunk, merge=merge, written=done, total=len(minutes))
            done += len(chunk)
            if progress is not None:
                progress(done, len(minutes))
        return rows

    def put_reference(self, project: str, service: str, profile: Profile) -> None:
        with write_tx(self._engine) as conn:
            upsert(conn, references, ("project", "service"), {
                "project": project, "service": service, "data": profile.to_bytes(), "updated_at": self._clock.now(),
            })

    def get_reference(self, project: str, service: str) -> Profile | None:
        q = sa.select(references.c.data).where(references.c.project == project, references.c.service == service)
        with read_tx(self._engine) as conn:
            blob = conn.execute(q).scalar_one_or_none()
        if blob is None:
            return None
        from telltale.profile import Profile

        return Profile.from_bytes(bytes(blob))

    # findings and changes: the monitor's memory ---------------------------------------

    def findings(self, project: str, service: str, *, state: str = "open", since: float | None = None,
                 until: float | None = None) -> list[StoredFinding]:
        """Stored findings of ``service`` in ``state`` (``open``, ``resolved`` or ``all``)
        that overlap [since, until), oldest first; ValueError on another state."""
        with read_tx(self._engine) as conn:
            return _findings.select(conn, project, service, state, since, until)

    def finding(self, project: str, finding_id: str) -> StoredFinding | None:
        """One stored finding by id; its per-window verdicts are :meth:`finding_evidence`."""
        with read_tx(self._engine) as conn:
            return _findings.one(conn, project, finding_id)

    def finding_evidence(self, project: str, finding_id: str, limit: int = _findings.MAX_EVIDENCE) -> list[Finding]:
        """The finding's verdict in each window that showed it, oldest first."""
        with read_tx(self._engine) as conn:
            return _findings.evidence(conn, project, finding_id, limit)

    def changes(self, project: str, service: str, since: float, until: float) -> list[Change]:
        """Component and model version changes of ``service`` first seen in [since, until), oldest first."""
        with read_tx(self._engine) as conn:
            return _changes.read_changes(conn, project, service, since, until)

    def list_projects(self) -> list[str]:
        with read_tx(self._engine) as conn:
            return list(conn.execute(sa.select(projects.c.name).order_by(projects.c.name)).scalars())

    def monitor_cursor(self, project: str, service: str) -> Cursor | None:
        """How far the monitor got for ``service``; None before its first tick."""
        with read_tx(self._engine) as conn:
            return _findings.cursor(conn, project, service)

    def profile_updates(self, project: str, service: str, after: float, before: float) -> tuple[float | None, list[int]]:
        """(newest ``updated_at`` of the service's minute profiles, minutes before ``before``
        updated after ``after``): how the monitor finds windows late records changed."""
        with read_tx(self._engine) as conn:
            return _windows.profile_updates(conn, project, service, after, before)

    def read_version_minutes(self, project: str, service: str, since: float, until: float) -> dict[str, Profile]:
        """The merged profile of [since, until) per model version ('' for records with none)."""
        with read_tx(self._engine) as conn:
            return _windows.version_profiles(conn, project, service, since, until)

    def minute_rows(self, project: str, service: str, since: float, until: float) -> list[tuple[int, str, float | None, bytes]]:
        """(minute, model_version, updated_at, encoded profile) per stored row in [since, until):
        for a reader that keeps decoded profiles between reads (the monitor)."""
        with read_tx(self._engine) as conn:
            return _windows.minute_rows(conn, project, service, since, until)

    def record_windows(self, project: str, service: str, windows: Sequence[Evaluated], *, window_s: float,
                       expect: Cursor | None, advance: Cursor, labels_judged: Sequence[LabelMark] = ()) -> bool:
        """Fold the monitor's window verdicts into stored findings, move its cursor and clear
        the label marks it judged, in one transaction; False when another monitor moved the
        cursor first (then nothing changes)."""
        with write_tx(self._engine) as conn:
            ok = _findings.record(conn, project, service, windows, window_s=window_s, expect=expect,
                                  advance=advance, now=self._clock.now())
            if ok:
                _label_updates.clear(conn, project, service, labels_judged)
            return ok

    def label_marks(self, project: str, service: str, before: float) -> list[LabelMark]:
        """Minutes of prediction time before ``before`` whose labels changed since the monitor
        last judged them (store/_label_updates.py)."""
        with read_tx(self._engine) as conn:
            return _label_updates.marks(conn, project, service, before)

    # feedback, realized performance, trust (store/_feedback.py) ---------------------

    def write_feedback(self, project: str, events: Sequence[FeedbackEvent]) -> FeedbackResult:
        """Store feedback events once each, make the newest per decision current, and fold
        labels whose prediction is stored into the performance minutes (the rest wait)."""
        with self._joined_write() as conn:
            self._ensure_project(conn, project)
            return _feedback.write_feedback(conn, project, events, lambda c, s: _spec_in(c, project, s), self._clock.now())

    def feedback_state(self, project: str, service: str, prediction_id: str) -> FeedbackState | None:
        with read_tx(self._engine) as conn:
            return _feedback.feedback_state(conn, project, service, prediction_id)

    def feedback_for(self, project: str, service: str, ids: Sequence[str]) -> dict[str, FeedbackEvent]:
        with read_tx(self._engine) as conn:
            return _feedback.joined_labels(conn, project, service, ids)

    def read_perf_minutes(self, project: str, service: str, since: float, until: float) -> list[tuple[int, Summary]]:
        """(minute of prediction time, performance summary) with joined labels in [since, until)."""
        with read_tx(self._engine) as conn:
            return _feedback.read_perf_minutes(conn, project, service, since, until)

    def read_trust_hours(self, project: str, service: str, since: float, until: float) -> list[tuple[int, str, TrustCounts]]:
        """(hour of feedback time, actor, counts) for the hours starting in [since, until)."""
        with read_tx(self._engine) as conn:
            return _feedback.read_trust_hours(conn, project, service, since, until)

    def read_conf_minutes(self, project: str, service: str, since: float, until: float) -> list[tuple[int, ConfHist]]:
        """(minute, confidence histogram of every served prediction) in [since, until)."""
        with read_tx(self._engine) as conn:
            return _feedback.read_conf_minutes(conn, project, service, since, until)

    def prediction_counts(self, project: str, service: str, since: float, until: float) -> list[tuple[int, int]]:
        with read_tx(self._engine) as conn:
            return _feedback.prediction_counts(conn, project, service, since, until)

    def page_predictions(self, project: str, service: str, since: float, until: float, limit: int = 1000, *,
                         after: tuple[float, str] | None = None, source: str | None = None) -> Page:
        """One page of records oldest first, after the ``(ts, id)`` of the previous page's last
        (``Page.next_cursor`` encodes it); for reading any number of records in bounded memory."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        with read_tx(self._engine) as conn:
            return _pages.page(conn, project, service, since, until, limit, after, source)

    # the human-review queue (store/_reviews.py) --------------------------------------

    def review_items(self, project: str, service: str, *, state: str = "open", limit: int = 100) -> list[ReviewItem]:
        """Queue items oldest first (``open``: not decided yet; ``decided``; ``all``), with their records."""
        with read_tx(self._engine) as conn:
            return _reviews.list_items(conn, project, service, state, limit)

    def claim_reviews(self, project: str, service: str, reviewer: str, n: int = 1) -> list[ReviewItem]:
        """Claim up to ``n`` of the oldest open items for ``reviewer``."""
        claim_s = self._claim_s(project, service)
        with write_tx(self._engine) as conn:
            return _reviews.claim(conn, project, service, reviewer, n, self._clock.now(), claim_s)

    def decide_review(self, project: str, service: str, prediction_id: str, reviewer: str, *, label: Any = None,
                      action: str | None = None, value: Any = None) -> FeedbackResult:
        """Close the item and record the verdict as feedback from ``reviewer``; ReviewConflict when
        another reviewer holds it or it was decided already."""
        from telltale.feedback.event import FeedbackEvent

        now = self._clock.now()
        event = FeedbackEvent(prediction_id, service, now, label, action, value, reviewer)
        claim_s = self._claim_s(project, service)
        with self._joined_write() as conn:
            _reviews.mark_decided(conn, project, service, prediction_id, reviewer, now, claim_s)
            return _feedback.write_feedback(conn, project, [event], lambda c, s: _spec_in(c, project, s), now)

    def review_stats(self, project: str, service: str) -> QueueStats:
        claim_s = self._claim_s(project, service)
        with read_tx(self._engine) as conn:
            return _reviews.stats(conn, project, service, self._clock.now(), claim_s)

    def _claim_s(self, project: str, service: str) -> float:
        spec = self.get_service(project, service)
        return spec.review.claim_s if spec is not None else 900.0

    # control -------------------------------------------------------------------------

    def set_control(self, project: str, service: str, state: ControlState, *, actor: str = "person:unknown") -> AuditEntry | None:
        """Set the service's mode and append the change to the audit log, in one transaction.

        ``actor`` is ``rule:<name>`` or ``person:<who>``. Returns the audit entry, or None
        when neither the mode nor its holder changed (nothing is logged then)."""
        from telltale.control import MODES

        if state.mode not in MODES:
            raise ValueError(f"control mode must be one of {', '.join(sorted(MODES))}, got {state.mode!r}")
        with write_tx(self._engine) as conn:
            return _audit.change_mode(conn, project, service, state, actor)

    def control_audit(self, project: str, service: str, *, since: float | None = None, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` mode changes of the service (since ``since``), oldest first."""
        with read_tx(self._engine) as conn:
            return _audit.audit_log(conn, project, service, since, limit)

    def get_control(self, project: str, service: str) -> ControlState:
        """The service's control mode; ``normal`` when none was ever set."""
        from telltale.control import ControlState

        c = controls.c
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(c.mode, c.reason, c.updated_at).where(c.project == project, c.service == service)).one_or_none()
        if row is None:
            return ControlState()
        return ControlState(mode=row.mode, reason=row.reason, updated_at=row.updated_at)

    # the policy's memory (store/_audit.py) ---------------------------------------------

    def policy_targets(self) -> list[tuple[str, ServiceSpec]]:
        """(project, spec) of every registered service, for the policy tick."""
        with read_tx(self._engine) as conn:
            return [(project, _parse_spec(text)) for project, text in _audit.targets(conn)]

    def policy_active(self, project: str, service: str) -> dict[str, _audit.Active]:
        with read_tx(self._engine) as conn:
            return _audit.active(conn, project, service)

    def set_policy_active(self, project: str, rows: Sequence[_audit.Active], gone: Sequence[str]) -> None:
        with write_tx(self._engine) as conn:
            _audit.set_active(conn, project, rows, gone)

    def slo_high_water(self, project: str, service: str) -> dict[str, int]:
        with read_tx(self._engine) as conn:
            return _audit.slo_high_water(conn, project, service)

    def write_slo_minutes(self, project: str, service: str, rows: list[_audit.SLOMinute], *, prune_before: float | None = None) -> None:
        with write_tx(self._engine) as conn:
            _audit.write_slo_minutes(conn, project, service, rows)
            if prune_before is not None:
                _audit.prune_slo_minutes(conn, project, service, prune_before)

    def read_slo_minutes(self, project: str, service: str, slo: str, since: float, until: float) -> list[_audit.SLOMinute]:
        with read_tx(self._engine) as conn:
            return _audit.read_slo_minutes(conn, project, service, slo, since, until)

    def slo_sums(self, project: str, service: str, slo: str, end: int, spans: list[float]) -> list[tuple[float, float, float]]:
        """(bad, total, records) of an SLO over [end - span, end) for each of ``spans``."""
        with read_tx(self._engine) as conn:
            return _audit.slo_sums(conn, project, service, slo, end, spans)

    def slo_totals(self) -> list[tuple[str, str, str, float, float]]:
        with read_tx(self._engine) as conn:
            return _audit.slo_totals_all(conn)

    # what the SLO indicators read beyond the minute profiles (store/_indicator_data.py) --

    def feedback_minutes(self, project: str, service: str, since: float, until: float) -> list[tuple[int, TrustCounts]]:
        """Each decision's current feedback, counted per minute it was given."""
        with read_tx(self._engine) as conn:
            return _indicator_data.feedback_minutes(conn, project, service, since, until)

    def queue_minutes(self, project: str, service: str, since: float, until: float) -> list[tuple[int, Queue]]:
        """The review queue at the end of each minute when it was not empty."""
        with read_tx(self._engine) as conn:
            return _indicator_data.queue_minutes(conn, project, service, since, until)

    def finding_values(self, project: str, service: str, since: float, until: float) -> list[tuple[float, float, FindingValue]]:
        """(start, end, statistic) of the stored finding windows overlapping [since, until)."""
        with read_tx(self._engine) as conn:
            return _indicator_data.finding_values(conn, project, service, since, until)

    def open_finding_counts(self) -> list[_metrics.OpenFindings]:
        """Open stored findings per project, service, kind and severity (for /metrics)."""
        with read_tx(self._engine) as conn:
            return _metrics.open_findings(conn)

    def delivery_counts(self) -> list[_metrics.Deliveries]:
        """Alert delivery attempts per project, service, receiver and outcome (for /metrics)."""
        with read_tx(self._engine) as conn:
            return _metrics.deliveries(conn)

    # alerts (telltale.alerts drives these; see store/_alerts.py) ----------------------

    def put_alert(self, project: str, alert: Alert) -> bool:
        """Record ``alert`` as its fingerprint's current state; True when its state or severity changed."""
        with write_tx(self._engine) as conn:
            return _alerts.upsert_alert(conn, project, alert, self._clock.now())

    def alerts(self, project: str, service: str, *, state: str | None = None) -> list[Alert]:
        """The service's alerts (the latest state of each fingerprint), most recently changed first."""
        with read_tx(self._engine) as conn:
            return _alerts.list_alerts(conn, project, service, state)

    def alert_history(self, project: str, service: str, since: float, until: float) -> list[tuple[float, str, str, str, str]]:
        with read_tx(self._engine) as conn:
            return _alerts.alert_history(conn, project, service, since, until)

    def alert_deliveries(self, project: str, service: str, since: float, until: float, limit: int = 1000) -> list[_alerts.Delivery]:
        with read_tx(self._engine) as conn:
            return _alerts.deliveries(conn, project, service, since, until, limit)

    def put_silence(self, silence: Silence) -> None:
        with write_tx(self._engine) as conn:
            _alerts.put_silence(conn, silence)

    def silences(self, project: str, *, now: float | None = None) -> list[Silence]:
        with read_tx(self._engine) as conn:
            return _alerts.list_silences(conn, project, now)

    def expire_silence(self, project: str, silence_id: str) -> bool:
        with write_tx(self._engine) as conn:
            return _alerts.expire_silence(conn, project, silence_id, self._clock.now())

    def alert_tx(self, *, write: bool = True) -> AbstractContextManager[Connection]:
        """A transaction for ``telltale.alerts``' outbox work (store/_alerts.py functions take it)."""
        return write_tx(self._engine) if write else read_tx(self._engine)

    # leases: one replica at a time runs the background jobs (store/_leases.py) ---------

    def acquire_lease(self, name: str, holder: str, ttl_s: float, now: float) -> bool:
        """Take or keep lease ``name`` until ``now + ttl_s``; False while another holder's is unexpired."""
        with write_tx(self._engine) as conn:
            return _leases.acquire(conn, name, holder, ttl_s, now)

    def renew_lease(self, name: str, holder: str, ttl_s: float, now: float) -> bool:
        """Extend ``holder``'s unexpired lease to ``now + ttl_s``; False when it was lost."""
        with write_tx(self._engine) as conn:
            return _leases.renew(conn, name, holder, ttl_s, now)

    def release_lease(self, name: str, holder: str, now: float) -> bool:
        """Give the lease up now so another replica takes it without waiting for expiry."""
        with write_tx(self._engine) as conn:
            return _leases.release(conn, name, holder, now)

    def lease(self, name: str) -> Lease | None:
        with read_tx(self._engine) as conn:
            return _leases.get(conn, name)

    def _ensure_project(self, conn: Connection, project: str) -> None:
        conn.execute(insert_ignore(conn, projects, ("name",)), [{"name": project, "created_at": self._clock.now()}])


def _spec_in(conn: Connection, project: str, service: str) -> ServiceSpec | None:
    q = sa.select(services.c.spec_json).where(services.c.project == project, services.c.name == service)
    text = conn.execute(q).scalar_one_or_none()
    return None if text is None else _parse_spec(text)


@lru_cache(maxsize=256)
def _parse_spec(text: str) -> ServiceSpec:
    """Specs are immutable pydantic models, so one parsed copy per stored text is shared."""
    from telltale.spec import ServiceSpec

    return ServiceSpec.model_validate_json(text)


def _check_name(what: str, name: str) -> None:
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ValueError(f"{what} must be a non-empty string of at most 64 characters, got {name!r}")

