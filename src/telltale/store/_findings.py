"""Stored findings: one row per ongoing problem, with the evidence of each window.

The monitor hands over each window's verdict (:class:`Evaluated`); this module keeps
the lifecycle. The rules, and why:

- **One problem, one row.** A finding's fingerprint is ``service/kind/feature-or-stage``.
  While a finding with that fingerprint is open, every window that shows it again adds
  a row of evidence to it (``tt_finding_windows``) instead of a new finding.
- **Opened** is the start of the first window that showed it, **last_seen** the end of
  the last one: both within one window of when the problem really began and ended.
- **Resolved** once ``RESOLVE_AFTER`` (2) consecutive windows with records lack it: one
  clean window can be luck at low traffic (a fault touching 1 record in 20 leaves a
  5-minute window of 15 records clean 46% of the time), two in a row is the problem
  gone. A window without records says nothing either way; a finding not seen for
  ``STALE_S`` (an hour) is resolved anyway, so a service that went quiet does not keep
  a problem open for ever. ``resolved`` is then set to ``last_seen``: the problem ended
  when it was last observed, not when the monitor became sure of it.
- **Same data, same verdict.** Opened, last seen, severity (the worst) and latest are
  derived from the evidence, so re-evaluating a window that late records changed only
  replaces that window's evidence: a finding it adds joins the neighbouring one with the
  same fingerprint (within ``RESOLVE_AFTER`` windows), or opens one of its own; one it
  removes leaves the finding's other windows (and deletes a finding with none left).
- **Ids** are derived from the project, the fingerprint and the start of the first
  window, so two replicas computing the same verdict write the same row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store import _json
from telltale.store._changes import Change, read_changes
from telltale.store._sql import insert_ignore, upsert
from telltale.store.schema import finding_windows, findings, monitor_state
from telltale.types import Finding, StoredFinding, Window

#: Consecutive windows with records that must lack a finding before it is resolved.
RESOLVE_AFTER = 2
#: A finding not seen for this long is resolved even if no window with records came.
STALE_S = 3600.0
#: For this long after a cause ends (the guard baseline, an hour), a *warning* with the
#: fingerprint of one of its consequences is its echo, not a new problem: checks that
#: compare a window with the hour before still have the fault in that hour (a guard that
#: took every call during the fault looks "silent" after it). A critical one opens anew.
AFTERMATH_S = 3600.0
#: How far before a finding's first window a version change is still named as its likely cause.
CHANGE_HORIZON_S = 86400.0
#: Most evidence rows ``evidence`` returns (a week of 5-minute windows).
MAX_EVIDENCE = 2016

_RANK = {"critical": 0, "warning": 1}


@dataclass(frozen=True, slots=True)
class Evaluated:
    """One window's verdict from the monitor: its findings, and which of them are consequences of which."""

    start: float
    end: float
    n: int  # records in the window; 0 means no evidence either way
    findings: tuple[Finding, ...] = ()
    causes: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> its cause's fingerprint
    late: bool = False  # a window evaluated before, again because late records changed it


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far the monitor got for one service: windows evaluated, and profile updates seen."""

    evaluated_until: float
    watermark: float


def fingerprint(service: str, f: Finding) -> str:
    """The stable name of a problem: ``service/kind/feature-or-stage`` (empty when it has neither)."""
    return f"{service}/{f.kind}/{f.feature or ''}"


def cursor(conn: Connection, project: str, service: str) -> Cursor | None:
    s = monitor_state.c
    row = conn.execute(sa.select(s.evaluated_until, s.watermark).where(s.project == project, s.service == service)).one_or_none()
    return None if row is None else Cursor(float(row.evaluated_until), float(row.watermark))


def record(conn: Connection, project: str, service: str, windows: Sequence[Evaluated], *, window_s: float,
           expect: Cursor | None, advance: Cursor, now: float) -> bool:
    """Apply ``windows`` (oldest first; late ones before new ones) and move the cursor to
    ``advance``; False, changing nothing, when another monitor moved it from ``expect`` first."""
    s = monitor_state.c
    q = sa.select(s.evaluated_until, s.watermark).where(s.project == project, s.service == service)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    current = None if row is None else Cursor(float(row.evaluated_until), float(row.watermark))
    if current != expect:
        return False
    if expect is None:
        # The first tick has no row to lock: claim the cursor by inserting it. A replica
        # racing us blocks on the key until we commit, then inserts nothing and stops here.
        claimed = conn.execute(insert_ignore(conn, monitor_state, ("project", "service")).values(
            project=project, service=service, evaluated_until=advance.evaluated_until, watermark=advance.watermark, ticked_at=now)
            .returning(monitor_state.c.service)).first()
        if claimed is None:
            return False
    horizon = min((w.start for w in windows), default=advance.evaluated_until)
    log = read_changes(conn, project, service, horizon - CHANGE_HORIZON_S, advance.evaluated_until + window_s)
    state = _Ledger(conn, project, service, window_s, log, since=horizon)
    for w in sorted(windows, key=lambda w: (not w.late, w.start)):
        if w.late:
            state.reevaluate(w, expect.evaluated_until if expect else advance.evaluated_until)
        else:
            state.forward(w)
    upsert(conn, monitor_state, ("project", "service"), {
        "project": project, "service": service, "evaluated_until": advance.evaluated_until,
        "watermark": advance.watermark, "ticked_at": now,
    })
    return True


def select(conn: Connection, project: str, service: str, state: str, since: float | None, until: float | None) -> list[StoredFinding]:
    """Findings of ``service`` in ``state`` (open, resolved, all) that overlap [since, until), oldest first."""
    if state not in ("open", "resolved", "all"):
        raise ValueError(f"state must be one of open, resolved, all, got {state!r}")
    f = findings.c
    q = sa.select(findings).where(f.project == project, f.service == service)
    if state == "open":
        q = q.where(f.resolved.is_(None))
    elif state == "resolved":
        q = q.where(f.resolved.is_not(None))
    if since is not None:
        q = q.where(sa.or_(f.resolved.is_(None), f.resolved >= since))
    if until is not None:
        q = q.where(f.opened < until)
    return [_stored(r) for r in conn.execute(q.order_by(f.opened, f.id))]


def one(conn: Connection, project: str, finding_id: str) -> StoredFinding | None:
    f = findings.c
    row = conn.execute(sa.select(findings).where(f.project == project, f.id == finding_id)).one_or_none()
    return None if row is None else _stored(row)


def evidence(conn: Connection, project: str, finding_id: str, limit: int = MAX_EVIDENCE) -> list[Finding]:
    """The finding's verdict in each window that showed it, oldest first (at most ``limit``, the newest kept)."""
    e = finding_windows.c
    q = sa.select(e.data).where(e.project == project, e.finding_id == finding_id).order_by(e.start.desc()).limit(limit)
    return [finding_from_dict(_json.loads(t)) for t in reversed(list(conn.execute(q).scalars()))]


def finding_from_dict(d: dict[str, Any]) -> Finding:
    w = d.get("window")
    window = Window(datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])) if w else None
    return Finding(d["kind"], d.get("feature"), d["severity"], d["statistic"], d.get("value"), d.get("threshold"), window, d["message"])


def describe_change(log: Sequence[Change], start: float, end: float) -> str | None:
    """The nearest change before a finding whose first window is [start, end), in words."""
    before = [c for c in log if c.first_seen < end and c.first_seen >= start - CHANGE_HORIZON_S]
    if not before:
        return None
    c = max(before, key=lambda c: (c.first_seen, c.component))
    if c.first_seen >= start:
        return f"began in the window where {c.describe()} ({_iso(c.first_seen)})"
    return f"began {_duration(start - c.first_seen)} after {c.describe()} ({_iso(c.first_seen)})"


# -- the lifecycle ---------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    id: str
    fingerprint: str
    kind: str
    feature: str | None
    severity: str
    opened: float
    last_seen: float
    resolved: float | None
    misses: int
    cause: str | None
    change: str | None
    latest: str


class _Ledger:
    """The open findings of one service while a batch of windows is applied."""

    def __init__(self, conn: Connection, project: str, service: str, window_s: float, log: list[Change], *, since: float) -> None:
        self.conn, self.project, self.service, self.window_s, self.log = conn, project, service, window_s, log
        self._open: dict[str, _Row] | None = None
        self._recent: dict[str, float] | None = None
        self.since = since

    def forward(self, w: Evaluated) -> None:
        """A window evaluated for the first time, after every window before it."""
        open_ = self._opened()
        shown: dict[str, _Row] = {}
        fps = {fingerprint(self.service, f) for f in w.findings}
        for f in w.findings:
            fp = fingerprint(self.service, f)
            if fp in shown:
                continue  # the first (most severe) verdict of a fingerprint in a window stands
            row = open_.get(fp)
            if self._echo(fp, f, fps, row, w.start):
                continue
            if row is None:
                row = self._new(fp, f, w)
                open_[fp] = row
            else:
                row.last_seen, row.misses, row.latest = max(row.last_seen, w.end), 0, _json.dumps(f.to_dict())
                row.severity = min(row.severity, f.severity, key=_RANK.__getitem__)
            shown[fp] = row
            self._evidence(row, w, f)
        self._link(w, shown)
        ended: set[str] = set()
        for fp, row in list(open_.items()):
            if fp in shown:
                continue
            if w.n > 0:
                row.misses += 1
                if row.misses >= RESOLVE_AFTER:
                    row.resolved = row.last_seen
            elif w.end - row.last_seen >= STALE_S:
                row.resolved = row.last_seen
            else:
                continue  # nothing changed
            self._save(row)
            if row.resolved is not None:
                del open_[fp]
                ended.add(row.id)
                if row.cause is not None:
                    self._aftermath()[fp] = row.resolved
        for fp, row in list(open_.items()):  # consequences end with their cause
            if row.cause in ended:
                row.resolved = row.last_seen
                self._save(row)
                del open_[fp]
                self._aftermath()[fp] = row.resolved

    def reevaluate(self, w: Evaluated, evaluated_until: float) -> None:
        """A window evaluated before, whose minute profiles late records changed."""
        e = finding_windows.c
        old = {r.fingerprint: r.finding_id for r in self.conn.execute(
            sa.select(e.fingerprint, e.finding_id).where(e.project == self.project, e.service == self.service, e.start == w.start))}
        shown: dict[str, _Row] = {}
        gap = RESOLVE_AFTER * self.window_s
        fps = {fingerprint(self.service, f) for f in w.findings}
        for f in w.findings:
            fp = fingerprint(self.service, f)
            if fp in shown:
                continue
            row = self._load(old[fp]) if fp in old else self._neighbour(fp, w.start, gap)
            if self._echo(fp, f, fps, row, w.start):
                continue
            if row is None:
                row = self._new(fp, f, w)
                after = evaluated_until - w.end
                row.misses = int(after // self.window_s)
                row.resolved = w.end if row.misses >= RESOLVE_AFTER else None
            self._evidence(row, w, f)
            shown[fp] = row
            self._derive(row)
        for fp, fid in old.items():
            if fp not in shown:
                self.conn.execute(finding_windows.delete().where(e.project == self.project, e.finding_id == fid, e.start == w.start))
                row = self._load(fid)
                if row is not None:
                    self._derive(row)
        self._link(w, shown)
        self._open = None  # reload before the next new window

    # -- helpers -----------------------------------------------------------------------

    def _opened(self) -> dict[str, _Row]:
        if self._open is None:
            f = findings.c
            q = sa.select(findings).where(f.project == self.project, f.service == self.service, f.resolved.is_(None))
            self._open = {r.fingerprint: _row(r) for r in self.conn.execute(q.order_by(f.opened))}
        return self._open

    def _echo(self, fp: str, f: Finding, fps: set[str], row: _Row | None, start: float) -> bool:
        """A warning that only repeats a consequence after its cause left (see ``AFTERMATH_S``)."""
        if f.severity != "warning":
            return False
        if row is None:
            return start < self._aftermath().get(fp, -AFTERMATH_S) + AFTERMATH_S
        if row.cause is None:
            return False
        cause = self._load(row.cause)
        return cause is not None and cause.fingerprint not in fps

    def _aftermath(self) -> dict[str, float]:
        """fingerprint -> when it ended, for consequences whose cause ended within ``AFTERMATH_S``."""
        if self._recent is None:
            f = findings.c
            q = sa.select(f.fingerprint, f.resolved).where(
                f.project == self.project, f.service == self.service, f.cause.is_not(None), f.resolved.is_not(None),
                f.resolved >= self.since - AFTERMATH_S)
            self._recent = {}
            for fp, t in self.conn.execute(q):
                self._recent[fp] = max(self._recent.get(fp, float(t)), float(t))
        return self._recent

    def _new(self, fp: str, f: Finding, w: Evaluated) -> _Row:
        fid = hashlib.sha256(f"{self.project}\x00{fp}\x00{w.start:.0f}".encode()).hexdigest()[:20]
        return _Row(fid, fp, f.kind, f.feature, f.severity, w.start, w.end, None, 0, None,
                    describe_change(self.log, w.start, w.end), _json.dumps(f.to_dict()))

    def _link(self, w: Evaluated, shown: dict[str, _Row]) -> None:
        for fp, cause_fp in w.causes.items():
            row, cause = shown.get(fp), shown.get(cause_fp)
            if row is not None and cause is not None and row.cause is None and cause.id != row.id:
                row.cause = cause.id
                self._save(row)

    def _evidence(self, row: _Row, w: Evaluated, f: Finding) -> None:
        self._save(row)  # the finding first: evidence names it
        upsert(self.conn, finding_windows, ("project", "finding_id", "start"), {
            "project": self.project, "finding_id": row.id, "start": w.start, "end": w.end, "service": self.service,
            "fingerprint": row.fingerprint, "severity": f.severity, "data": _json.dumps(f.to_dict()),
        })

    def _neighbour(self, fp: str, start: float, gap: float) -> _Row | None:
        f = findings.c
        q = (sa.select(findings).where(f.project == self.project, f.service == self.service, f.fingerprint == fp,
                                       f.opened <= start + gap, sa.or_(f.resolved.is_(None), f.last_seen >= start - gap))
             .order_by(f.opened.desc()).limit(1))
        r = self.conn.execute(q).one_or_none()
        return None if r is None else _row(r)

    def _load(self, fid: str) -> _Row | None:
        f = findings.c
        r = self.conn.execute(sa.select(findings).where(f.project == self.project, f.id == fid)).one_or_none()
        return None if r is None else _row(r)

    def _derive(self, row: _Row) -> None:
        """Opened, last seen, severity and latest from the evidence; delete a finding with none."""
        e, f = finding_windows.c, findings.c
        where = sa.and_(e.project == self.project, e.finding_id == row.id)
        span = self.conn.execute(sa.select(sa.func.min(e.start), sa.func.max(e.end), sa.func.min(e.severity)).where(where)).one()
        if span[0] is None:
            self.conn.execute(findings.update().where(f.project == self.project, f.cause == row.id).values(cause=None))
            self.conn.execute(findings.delete().where(f.project == self.project, f.id == row.id))
            return
        latest = self.conn.execute(sa.select(e.data).where(where).order_by(e.start.desc()).limit(1)).scalar_one()
        moved = float(span[0]) != row.opened
        row.opened, row.last_seen, row.severity, row.latest = float(span[0]), float(span[1]), span[2], latest
        if moved:
            row.change = describe_change(self.log, row.opened, row.opened + self.window_s)
        if row.resolved is not None:
            row.resolved = max(row.resolved, row.last_seen)
        self._save(row)

    def _save(self, row: _Row) -> None:
        upsert(self.conn, findings, ("project", "id"), {
            "project": self.project, "id": row.id, "service": self.service, "fingerprint": row.fingerprint,
            "kind": row.kind, "feature": row.feature, "severity": row.severity, "opened": row.opened,
            "last_seen": row.last_seen, "resolved": row.resolved, "misses": row.misses, "cause": row.cause,
            "change": row.change, "latest": row.latest,
        })


def _row(r: Any) -> _Row:
    return _Row(r.id, r.fingerprint, r.kind, r.feature, r.severity, float(r.opened), float(r.last_seen),
                None if r.resolved is None else float(r.resolved), int(r.misses), r.cause, r.change, r.latest)


def _stored(r: Any) -> StoredFinding:
    return StoredFinding(
        id=r.id, fingerprint=r.fingerprint, service=r.service, kind=r.kind, feature=r.feature, severity=r.severity,
        opened=float(r.opened), last_seen=float(r.last_seen), resolved=None if r.resolved is None else float(r.resolved),
        cause=r.cause, change=r.change, latest=finding_from_dict(_json.loads(r.latest)),
    )


def _duration(s: float) -> str:
    if s < 90:
        return f"{s:.0f} seconds"
    if s < 5400:
        return f"{s / 60:.0f} minutes"
    return f"{s / 3600:.1f} hours"


def _iso(t: float) -> str:
    from datetime import timezone

    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
