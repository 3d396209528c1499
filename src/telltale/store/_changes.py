"""The change log: which version of each component a service ran, and when it changed.

Written in the ingest transaction (DESIGN.md failure 19). Every record carries its model
version and the versions of the components around the model; a batch is reduced to its
distinct (service, component, version) triples with their first and last ``ts``, and
only those are compared with the last known versions (one indexed read per batch, and a
write only when something is new or a minute has passed), so the cost does not grow
with the batch.

Rules, and why:

- a version never seen before for a component is a change from the version seen most
  recently (``from`` is null when the component is new to a service that was already
  running for an hour: it appeared);
- a version seen before but not for ``REAPPEAR_S`` (an hour) that comes back is a change
  too (a rollback), so records of two versions interleaving during a rollout do not log
  a change per batch;
- canary and shadow records are left out: they run beside the primary, they are not a
  change of it (the monitor compares canaries with the primary instead);
- the model version is logged as the component ``model``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store._sql import insert_ignore
from telltale.store.schema import changes, component_versions
from telltale.types import PredictionRecord

#: The component name model version changes are logged under.
MODEL = "model"
#: A version absent this long that comes back is a change (a rollback), not interleaving.
REAPPEAR_S = 3600.0
#: ``last_seen`` is refreshed at most this often, so steady traffic writes nothing here.
TOUCH_S = 60.0
#: Sources that run beside the primary rather than replace it.
BESIDE = frozenset({"canary", "shadow"})


@dataclass(frozen=True, slots=True)
class Change:
    """One component of one service moving from one version to another at ``first_seen``."""

    service: str
    component: str
    from_version: str | None
    to_version: str
    first_seen: float

    def describe(self) -> str:
        if self.from_version is None:
            return f"{self.component} appeared at {self.to_version}"
        return f"{self.component} changed {self.from_version} -> {self.to_version}"

    def to_dict(self) -> dict[str, object]:
        return {"service": self.service, "component": self.component, "from": self.from_version,
                "to": self.to_version, "first_seen": self.first_seen}


def note_versions(conn: Connection, project: str, records: Sequence[PredictionRecord]) -> None:
    """Log the changes ``records`` (newly stored, of any services) show; called inside the ingest transaction."""
    spans: dict[tuple[str, str, str], list[float]] = {}
    for r in records:
        if r.source in BESIDE:
            continue
        pairs = list(r.components.items())
        if r.model_version:
            pairs.append((MODEL, r.model_version))
        for component, version in pairs:
            if not isinstance(version, str) or not version:
                continue
            span = spans.get((r.service, component, version))
            if span is None:
                spans[(r.service, component, version)] = [r.ts, r.ts]
            else:
                span[0] = min(span[0], r.ts)
                span[1] = max(span[1], r.ts)
    if not spans:
        return
    cv = component_versions.c
    svcs = sorted({s for s, _, _ in spans})
    known: dict[tuple[str, str], dict[str, list[float]]] = {}
    started: dict[str, float] = {}
    for row in conn.execute(sa.select(cv.service, cv.component, cv.version, cv.first_seen, cv.last_seen)
                            .where(cv.project == project, cv.service.in_(svcs))):
        known.setdefault((row.service, row.component), {})[row.version] = [row.first_seen, row.last_seen]
        started[row.service] = min(started.get(row.service, row.first_seen), row.first_seen)
    # oldest first within a component, so two new versions in one batch chain correctly
    for (service, component, version), (t0, t1) in sorted(spans.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[1][0], kv[0][2])):
        versions = known.setdefault((service, component), {})
        seen = versions.get(version)
        if seen is None:
            ident = {"project": project, "service": service, "component": component, "version": version}
            stmt = insert_ignore(conn, component_versions, tuple(ident)).returning(cv.version)
            if conn.execute(stmt, [{**ident, "first_seen": t0, "last_seen": t1}]).first() is None:
                continue  # a concurrent batch logged it first
            prev = _latest_other(versions, version)
            if prev is not None:
                _log(conn, project, service, component, prev, version, t0)
            elif service in started and t0 >= started[service] + REAPPEAR_S:
                _log(conn, project, service, component, None, version, t0)
            versions[version] = [t0, t1]
            continue
        first, last = seen
        if t0 > last + REAPPEAR_S:
            prev = _latest_other(versions, version)
            if prev is not None and versions[prev][1] > last:
                _log(conn, project, service, component, prev, version, t0)
        if t1 > last + TOUCH_S:
            where = sa.and_(cv.project == project, cv.service == service, cv.component == component, cv.version == version, cv.last_seen < t1)
            conn.execute(component_versions.update().where(where).values(last_seen=t1))
            seen[1] = t1


def read_changes(conn: Connection, project: str, service: str, since: float, until: float) -> list[Change]:
    """Changes of ``service`` first seen in [since, until), oldest first."""
    c = changes.c
    q = (sa.select(c.component, c.from_version, c.to_version, c.first_seen)
         .where(c.project == project, c.service == service, c.first_seen >= since, c.first_seen < until)
         .order_by(c.first_seen, c.component))
    return [Change(service, r.component, r.from_version, r.to_version, float(r.first_seen)) for r in conn.execute(q)]


def _latest_other(versions: dict[str, list[float]], version: str) -> str | None:
    others = [(span[1], v) for v, span in versions.items() if v != version]
    return max(others)[1] if others else None


def _log(conn: Connection, project: str, service: str, component: str, old: str | None, new: str, t: float) -> None:
    conn.execute(insert_ignore(conn, changes, ("project", "service", "component", "first_seen")), [{
        "project": project, "service": service, "component": component, "first_seen": t, "from_version": old, "to_version": new,
    }])
