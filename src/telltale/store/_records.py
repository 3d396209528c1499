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
from telltale.wire import (
    DEFAULT_LIMITS,
    MAX_TAG_KEY_LEN,
    MAX_TAG_VALUE_LEN,
    MAX_TAGS,
    RecordLimits,
    clean_text,
    value_problem,
)

if TYPE_CHECKING:
    from telltale.profile import Profile
    from telltale.spec import ServiceSpec

SpecLookup = Callable[[Connection, str], "ServiceSpec | None"]


def insert_records(conn: Connection, project: str, records: Sequence[PredictionRecord], spec_for: SpecLookup,
                   limits: RecordLimits = DEFAULT_LIMITS, now: float = 0.0) -> tuple[list[PredictionRecord], int]:
    """Insert new records and fold them into minute profiles; return (the records newly
    stored, in key order, and how many were duplicates).

    A record id is unique per service (migration 0002): the same id in two services is
    two records. ValueError names the first record that breaks ``limits``, before any
    row is written: what is stored can always be read back. ``now`` (the store's clock)
    stamps the profiles touched, so the monitor finds the windows that late records
    changed; new component versions go to the change log.
    """
    unique: dict[tuple[str, str], tuple[PredictionRecord, dict[str, Any]]] = {}
    for r in records:
        d = _check_record(r, limits)
        unique.setdefault((r.service, r.id), (r, d))
    rows = [_row(project, *unique[k]) for k in sorted(unique)]
    if not rows:
        return [], len(records)
    p = predictions.c
    stmt = insert_ignore(conn, predictions, ("project", "service", "id")).returning(p.service, p.id)
    new_keys = {(s, i) for s, i in conn.execute(stmt, rows)}
    new = [unique[k][0] for k in sorted(new_keys)]
    _fold_profiles(conn, project, new, spec_for, now)
    _changes.note_versions(conn, project, new)
    return new, len(records) - len(new)


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
            merged = Profile.merge_all([out[-1][1], p])
            assert merged is not None  # merging two profiles gives one
            out[-1] = (minute, merged)
        else:
            out.append((int(minute), p))
    return out


def minute_of(ts: float) -> int:
    """Epoch seconds of the start of the minute holding ``ts``."""
    return int(math.floor(ts / 60.0)) * 60


def _check_record(r: PredictionRecord, limits: RecordLimits) -> dict[str, Any]:
    """The record's JSON form, once it is known to be storable and readable back."""
    if not isinstance(r.id, str) or not r.id or len(r.id) > MAX_ID_LEN or "\x00" in r.id:
        raise ValueError(f"record id must be a non-empty string of at most {MAX_ID_LEN} characters without NUL, got {r.id!r}")
    if not isinstance(r.service, str) or not clean_text(r.service, 64):
        raise ValueError(f"record {r.id!r}: service must be a non-empty string of at most 64 characters, got {r.service!r}")
    if not isinstance(r.ts, (int, float)) or not math.isfinite(r.ts) or abs(r.ts) > _MAX_TS:
        raise ValueError(f"record {r.id!r}: ts must be a finite number of epoch seconds, got {r.ts!r}")
    if len(r.tags) > MAX_TAGS or not all(clean_text(k, MAX_TAG_KEY_LEN) and clean_text(v, MAX_TAG_VALUE_LEN, allow_empty=True)
                                          for k, v in r.tags.items()):
        raise ValueError(f"record {r.id!r}: tags must be at most {MAX_TAGS} string pairs, keys up to {MAX_TAG_KEY_LEN} "
                         f"characters and values up to {MAX_TAG_VALUE_LEN}")
    d = r.to_dict()
    # the free-form parts (inputs, output, reasons, component versions); NaN from an
    # in-process guard is kept as written (the contract counted it as a null)
    for name in ("inputs", "output", "reasons", "components", "stages"):
        problem = value_problem(d[name], name, limits, 2, allow_nonfinite=True)
        if problem is not None:
            raise ValueError(f"record {r.id!r}: {problem[0]} {problem[1]}")
    for name in ("model_version", "segment", "guard", "actor", "source"):
        v = d[name]
        if v is not None and not clean_text(v, 200, allow_empty=True):
            raise ValueError(f"record {r.id!r}: {name} must be a string of at most 200 characters (no NUL, valid Unicode), got {v!r:.60}")
    return d


#: Year 2500 and beyond is a unit mistake, not a decision time (a ts in ms is ~1.8e12).
_MAX_TS = 16_725_225_600.0


def _row(project: str, r: PredictionRecord, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "project": project,
        "id": r.id,
        "service": r.service,
        "ts": float(r.ts),
        "model_version": r.model_version,
        "source": r.source,
        "n_violations": len(r.violations),
        "payload": _json.dumps(d),
    }


def _fold_profiles(conn: Connection, project: str, new: list[PredictionRecord], spec_for: SpecLookup, now: float) -> None:
    from telltale.profile import Profile

    groups: dict[tuple[str, str, int], list[PredictionRecord]] = defaultdict(list)
    for r in new:
        if r.source == "shadow":  # stored for comparison, but never served: not part of what the service saw
            continue
        groups[(r.service, r.model_version or "", minute_of(r.ts))].append(r)
    specs: dict[str, ServiceSpec | None] = {}
    for key in sorted(groups):
        service, version, minute = key
        if service not in specs:
            specs[service] = spec_for(conn, service)
        merge_minute(conn, project, service, version, minute, Profile.from_records(specs[service], groups[key]),
                     len(groups[key]), now)


def merge_minute(conn: Connection, project: str, service: str, version: str, minute: int, profile: Profile | bytes,
                 n: int, stamp: float | None) -> int:
    """Merge ``profile`` (or its bytes) of ``n`` rows into the minute row (project,
    service, version, minute), creating it when missing, under the row's lock;
    ``updated_at`` becomes ``stamp``; the row's ``n`` before (0 for a new row). The one write of a minute profile: live records
    (``_fold_profiles``, stamped with the store clock so the monitor judges the window
    again) and backfills (``_backfill.py``, stamped None: the monitor leaves them) both
    come through here."""
    from telltale.profile import Profile

    m = minute_profiles.c
    ident = {"project": project, "service": service, "model_version": version, "minute": minute}
    conn.execute(insert_ignore(conn, minute_profiles, tuple(ident)), [{**ident, "n": 0, "data": None}])
    where = sa.and_(*(getattr(m, k) == v for k, v in ident.items()))
    row = conn.execute(sa.select(m.n, m.data).where(where).with_for_update()).one()
    if row.data is not None:
        data = Profile.from_bytes(bytes(row.data)).merge(profile if isinstance(profile, Profile) else Profile.from_bytes(profile)).to_bytes()
    else:
        data = profile if isinstance(profile, bytes) else profile.to_bytes()
    conn.execute(minute_profiles.update().where(where).values(n=row.n + n, data=data, updated_at=stamp))
    return int(row.n)
