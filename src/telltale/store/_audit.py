"""The policy's tables: the control audit log, what the policy holds active, SLO events.

The audit log is append-only: nothing here updates or deletes a row of it. A mode
change and its audit row are written in one transaction, so the log never misses a
change and never records one that did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.control import AuditEntry, ControlState
from telltale.store._sql import upsert
from telltale.store.schema import control_audit, controls, policy_active, services, slo_minutes, slo_totals


def change_mode(conn: Connection, project: str, service: str, state: ControlState, actor: str) -> AuditEntry | None:
    """Set the mode and append its audit row; None (and no row) when neither the mode nor
    the one who holds it changes."""
    c = controls.c
    row = conn.execute(sa.select(c.mode).where(c.project == project, c.service == service).with_for_update()).one_or_none()
    old = row.mode if row is not None else "normal"
    last = latest(conn, project, service)
    if old == state.mode and (last is None or last.actor == actor):
        return None
    upsert(conn, controls, ("project", "service"), {
        "project": project, "service": service, "mode": state.mode, "reason": state.reason, "updated_at": state.updated_at,
    })
    entry = AuditEntry(service, state.updated_at, old, state.mode, actor, state.reason)
    conn.execute(control_audit.insert().values(project=project, service=service, at=entry.at, mode_from=old,
                                               mode_to=state.mode, actor=actor, reason=state.reason))
    return entry


def audit_log(conn: Connection, project: str, service: str, since: float | None, limit: int) -> list[AuditEntry]:
    a = control_audit.c
    q = sa.select(a.service, a.at, a.mode_from, a.mode_to, a.actor, a.reason).where(a.project == project, a.service == service)
    if since is not None:
        q = q.where(a.at >= since)
    rows = conn.execute(q.order_by(a.at.desc(), a.id.desc()).limit(limit)).all()
    return [AuditEntry(*r) for r in reversed(rows)]


def latest(conn: Connection, project: str, service: str) -> AuditEntry | None:
    got = audit_log(conn, project, service, None, 1)
    return got[0] if got else None


@dataclass(frozen=True, slots=True)
class Active:
    """Something the policy holds active: a firing alert or a rule that acted."""

    fingerprint: str
    service: str
    since: float
    payload: str


def active(conn: Connection, project: str, service: str) -> dict[str, Active]:
    p = policy_active.c
    q = sa.select(p.fingerprint, p.service, p.since, p.payload).where(p.project == project, p.service == service)
    return {r.fingerprint: Active(*r) for r in conn.execute(q)}


def set_active(conn: Connection, project: str, rows: Iterable[Active], gone: Iterable[str]) -> None:
    p = policy_active.c
    for fp in gone:
        conn.execute(policy_active.delete().where(p.project == project, p.fingerprint == fp))
    for r in rows:
        upsert(conn, policy_active, ("project", "fingerprint"),
               {"project": project, "fingerprint": r.fingerprint, "service": r.service, "since": r.since, "payload": r.payload})


@dataclass(frozen=True, slots=True)
class SLOMinute:
    slo: str
    minute: int
    bad: float
    total: float
    records: int


def slo_high_water(conn: Connection, project: str, service: str) -> dict[str, int]:
    """The newest minute stored per SLO of the service."""
    s = slo_minutes.c
    q = sa.select(s.slo, sa.func.max(s.minute)).where(s.project == project, s.service == service).group_by(s.slo)
    return {slo: int(m) for slo, m in conn.execute(q)}


def write_slo_minutes(conn: Connection, project: str, service: str, rows: list[SLOMinute]) -> None:
    """Insert or replace minute rows and move the running totals by the difference."""
    if not rows:
        return
    s = slo_minutes.c
    lo, hi = min(r.minute for r in rows), max(r.minute for r in rows)
    q = sa.select(s.slo, s.minute, s.bad, s.total).where(s.project == project, s.service == service, s.minute >= lo, s.minute <= hi)
    old = {(r.slo, int(r.minute)): (r.bad, r.total) for r in conn.execute(q)}
    delta: dict[str, list[float]] = {}
    for r in rows:
        ob, ot = old.get((r.slo, r.minute), (0.0, 0.0))
        if (ob, ot) == (r.bad, r.total) and (r.slo, r.minute) in old:
            continue
        d = delta.setdefault(r.slo, [0.0, 0.0])
        d[0] += r.bad - ob
        d[1] += r.total - ot
        upsert(conn, slo_minutes, ("project", "service", "slo", "minute"), {
            "project": project, "service": service, "slo": r.slo, "minute": r.minute, "bad": r.bad, "total": r.total,
            "records": r.records})
    t = slo_totals.c
    for slo, (db, dt) in delta.items():
        cur = conn.execute(sa.select(t.bad, t.total).where(t.project == project, t.service == service, t.slo == slo)).one_or_none()
        bad, total = (cur.bad, cur.total) if cur is not None else (0.0, 0.0)
        upsert(conn, slo_totals, ("project", "service", "slo"),
               {"project": project, "service": service, "slo": slo, "bad": bad + db, "total": total + dt})


def read_slo_minutes(conn: Connection, project: str, service: str, slo: str, since: float, until: float) -> list[SLOMinute]:
    s = slo_minutes.c
    q = (sa.select(s.slo, s.minute, s.bad, s.total, s.records)
         .where(s.project == project, s.service == service, s.slo == slo, s.minute >= since, s.minute < until).order_by(s.minute))
    return [SLOMinute(r.slo, int(r.minute), r.bad, r.total, int(r.records)) for r in conn.execute(q)]


def slo_sums(conn: Connection, project: str, service: str, slo: str, end: int, spans: list[float]) -> list[tuple[float, float, float]]:
    """(bad, total, records) over the minutes in [end - span, end) for each span: the spans
    of three days or less in one pass over at most 4,320 rows, each longer one (a 30-day
    period) in a plain sum of its own."""
    short = [sp for sp in spans if sp <= _SHORT_S]
    got: dict[float, tuple[float, float, float]] = {}
    if short:
        params = {"project": project, "service": service, "slo": slo, "end": end, "lo": end - int(max(short))}
        params.update({f"from{i}": end - int(span) for i, span in enumerate(short)})
        row = conn.execute(_sums_query(len(short)), params).one()
        got.update({sp: (float(row[3 * i]), float(row[3 * i + 1]), float(row[3 * i + 2])) for i, sp in enumerate(short)})
    m = slo_minutes.c
    for sp in spans:
        if sp not in got:
            q = sa.select(sa.func.coalesce(sa.func.sum(m.bad), 0), sa.func.coalesce(sa.func.sum(m.total), 0),
                          sa.func.coalesce(sa.func.sum(m.records), 0)).where(
                m.project == project, m.service == service, m.slo == slo, m.minute >= end - int(sp), m.minute < end)
            b, t, r = conn.execute(q).one()
            got[sp] = (float(b), float(t), float(r))
    return [got[sp] for sp in spans]


_SHORT_S = 3 * 86400


@lru_cache(maxsize=8)
def _sums_query(n: int) -> sa.Select[Any]:
    s = slo_minutes.c
    cols = []
    for i in range(n):
        inside = s.minute >= sa.bindparam(f"from{i}")
        cols += [sa.func.coalesce(sa.func.sum(sa.case((inside, col), else_=0)), 0) for col in (s.bad, s.total, s.records)]
    return sa.select(*cols).where(s.project == sa.bindparam("project"), s.service == sa.bindparam("service"),
                                  s.slo == sa.bindparam("slo"), s.minute >= sa.bindparam("lo"), s.minute < sa.bindparam("end"))


def prune_slo_minutes(conn: Connection, project: str, service: str, before: float) -> None:
    """Drop minute rows older than every period (the totals keep counting)."""
    s = slo_minutes.c
    conn.execute(slo_minutes.delete().where(s.project == project, s.service == service, s.minute < before))


def slo_totals_all(conn: Connection) -> list[tuple[str, str, str, float, float]]:
    """(project, service, slo, bad, total) for every SLO ever counted: what /metrics exports."""
    t = slo_totals.c
    return [tuple(r) for r in conn.execute(sa.select(t.project, t.service, t.slo, t.bad, t.total).order_by(t.project, t.service, t.slo))]


def targets(conn: Connection) -> list[tuple[str, str]]:
    """(project, spec JSON) of every registered service: what a policy tick walks."""
    c = services.c
    return [(r.project, r.spec_json) for r in conn.execute(sa.select(c.project, c.spec_json).order_by(c.project, c.name))]
