"""Prediction records and minute profiles: the store's write path and its reads.

A batch is inserted with ``ON CONFLICT DO NOTHING ... RETURNING id``, so the database
itself says which records are new; only those are profiled and merged into the stored
minute profiles, in the same transaction. A replayed batch therefore changes nothing,
and replicas writing the same minute merge into one row (locked with ``FOR UPDATE`` on
PostgreSQL, serialised by ``BEGIN IMMEDIATE`` on SQLite). Rows and profile keys are
handled in sorted order so two concurrent batches never lock in opposite orders.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store import _changes, _json
from telltale.store._sql import insert_ignore
from telltale.store.schema import MAX_ID_LEN, minute_profiles, predictions
from telltale.types import PredictionRecord

if TYPE_CHECKING:
    from telltale.profile import Profile
    from telltale.spec import ServiceSpec

SpecLookup = Callable[[Connection, str], "ServiceSpec | None"]


def insert_records(conn: Connection, project: str, records: Sequence[PredictionRecord], spec_for: SpecLookup,
                   now: float = 0.0) -> tuple[int, int]:
    """Insert new records and fold them into minute profiles; return (inserted, duplicates).

    ``now`` (the store's clock) stamps the profiles touched, so the monitor finds the
    windows that late records changed; new component versions go to the change log.
    """
    unique: dict[str, PredictionRecord] = {}
    for r in records:
        _check_record(r)
        unique.setdefault(r.id, r)
    rows = [_row(project, unique[k]) for k in sorted(unique)]
    if not rows:
        return 0, len(records)
    stmt = insert_ignore(conn, predictions, ("project", "id")).returning(predictions.c.id)
    new_ids = set(conn.execute(stmt, rows).scalars())
    new = [unique[i] for i in sorted(new_ids)]
    _fold_profiles(conn, project, new, spec_for, now)
    _changes.note_versions(conn, project, new)
    return len(new), len(records) - len(new)


def read_records(conn: Connection, project: str, service: str, since: float, until: float, limit: int,
                 source: str | None = None) -> list[PredictionRecord]:
    p = predictions.c
    q = sa.select(p.payload).where(p.project == project, p.service == service, p.ts >= since, p.ts < until)
    if source is not None:
        q = q.where(p.source == source)
    q = q.order_by(p.ts, p.id).limit(limit)
    return [PredictionRecord.from_dict(_json.loads(t)) for t in conn.execute(q).scalars()]


def count_records(conn: Connection, project: str, service: str) -> int:
    p = predictions.c
    q = sa.select(sa.func.count()).select_from(predictions).where(p.project == project, p.service == service)
    return int(conn.execute(q).scalar_one())


def read_profile(conn: Connection, project: str, service: str, since: float, until: float, model_version: str | None = None) -> Profile | None:
    from telltale.profile import Profile

    return Profile.merge_all(p for _, p in read_minutes(conn, project, service, since, until, model_version))


def read_minutes(conn: Connection, project: str, service: str, since: float, until: float,
                 model_version: str | None = None) -> list[tuple[int, Profile]]:
    """(minute, profile) for each minute starting in [since, until), the model versions of a
    minute merged, oldest first."""
    from telltale.profile import Profile

    m = minute_profiles.c
    q = sa.select(m.minute, m.data).where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until, m.data.is_not(None))
    if model_version is not None:
        q = q.where(m.model_version == model_version)
    out: list[tuple[int, Profile]] = []
    for minute, blob in conn.execute(q.order_by(m.minute, m.model_version)):
        p = Profile.from_bytes(bytes(blob))
        if out and out[-1][0] == minute:
            out[-1] = (minute, out[-1][1].merge(p))
        else:
            out.append((int(minute), p))
    return out


def minute_of(ts: float) -> int:
    """Epoch seconds of the start of the minute holding ``ts``."""
    return int(math.floor(ts / 60.0)) * 60


def _check_record(r: PredictionRecord) -> None:
    if not isinstance(r.id, str) or not r.id or len(r.id) > MAX_ID_LEN or "\x00" in r.id:
        raise ValueError(f"record id must be a non-empty string of at most {MAX_ID_LEN} characters without NUL, got {r.id!r}")
    if not isinstance(r.ts, (int, float)) or not math.isfinite(r.ts):
        raise ValueError(f"record {r.id!r}: ts must be a finite number of epoch seconds, got {r.ts!r}")


def _row(project: str, r: PredictionRecord) -> dict[str, Any]:
    return {
        "project": project,
        "id": r.id,
        "service": r.service,
        "ts": float(r.ts),
        "model_version": r.model_version,
        "source": r.source,
        "n_violations": len(r.violations),
        "payload": _json.dumps(r.to_dict()),
    }


def _fold_profiles(conn: Connection, project: str, new: list[PredictionRecord], spec_for: SpecLookup, now: float) -> None:
    from telltale.profile import Profile

    groups: dict[tuple[str, str, int], list[PredictionRecord]] = defaultdict(list)
    for r in new:
        if r.source == "shadow":  # stored for comparison, but never served: not part of what the service saw
            continue
        groups[(r.service, r.model_version or "", minute_of(r.ts))].append(r)
    specs: dict[str, ServiceSpec | None] = {}
    m = minute_profiles.c
    for key in sorted(groups):
        service, version, minute = key
        if service not in specs:
            specs[service] = spec_for(conn, service)
        profile = Profile.from_records(specs[service], groups[key])
        ident = {"project": project, "service": service, "model_version": version, "minute": minute}
        conn.execute(insert_ignore(conn, minute_profiles, tuple(ident)), [{**ident, "n": 0, "data": None}])
        where = sa.and_(*(getattr(m, k) == v for k, v in ident.items()))
        row = conn.execute(sa.select(m.n, m.data).where(where).with_for_update()).one()
        if row.data is not None:
            profile = Profile.from_bytes(bytes(row.data)).merge(profile)
        conn.execute(minute_profiles.update().where(where).values(n=row.n + len(groups[key]), data=profile.to_bytes(), updated_at=now))
