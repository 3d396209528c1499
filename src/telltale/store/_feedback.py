"""Feedback: idempotent events, the current label per decision, and the join.

Every event goes into ``tt_feedback_events`` once (``ON CONFLICT DO NOTHING ... RETURNING``
says which are new, so a replayed batch changes nothing). Per decision, ``tt_feedback``
holds the current event: the newest by ``ts`` (a later arrival wins a tie); an older
event arriving late stays in the history only. When the decision's prediction is stored
(now or when it arrives later), the pair (prediction, label) is folded into its
prediction-minute row of ``tt_perf_minutes`` in the same transaction; the folded pair
is kept beside the label so that a replacing label un-folds exactly what was folded.
Trust counts fold per feedback minute and actor into ``tt_trust_hours`` as events
become current, whether or not the prediction is there yet. Minute rows are updated in
sorted order under a row lock, as the profile rows are.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.feedback.counts import TrustCounts
from telltale.feedback.event import FeedbackEvent
from telltale.performance.confidence import ConfHist
from telltale.performance.pairs import kind_of, pair_for, positive_class
from telltale.performance.summary import Pair, Summary
from telltale.store import _json
from telltale.store._bulk import many, select_in
from telltale.store._sql import insert_ignore
from telltale.store.schema import conf_minutes, feedback, feedback_events, minute_profiles, perf_minutes, trust_hours
from telltale.types import PredictionRecord

if TYPE_CHECKING:
    from telltale.spec import ServiceSpec

SpecLookup = Callable[[Connection, str], "ServiceSpec | None"]
_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """What one feedback batch did."""

    accepted: int  # events stored for the first time
    duplicates: int  # events already stored (a replay), or repeated in the batch
    replaced: int  # decisions whose earlier feedback a newer event replaced
    joined: int  # events whose prediction is stored: scored now
    pending: int  # events kept until their prediction arrives
    stale: int  # events older than the decision's current feedback: kept in the history only

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class FeedbackState:
    """The current feedback on one decision and every event received for it, oldest first."""

    current: FeedbackEvent
    joined: bool
    history: list[FeedbackEvent]


def minute_of(ts: float) -> int:
    return int(math.floor(ts / 60.0)) * 60


def hour_of(ts: float) -> int:
    return int(math.floor(ts / 3600.0)) * 3600


def write_feedback(conn: Connection, project: str, events: Sequence[FeedbackEvent], spec_for: SpecLookup, now: float) -> FeedbackResult:
    unique: dict[str, FeedbackEvent] = {}
    for e in events:
        unique.setdefault(e.key, e)
    if not unique:
        return FeedbackResult(0, len(events), 0, 0, 0, 0)
    new_keys = _insert_new_events(conn, project, unique, now)
    groups: dict[str, dict[str, list[FeedbackEvent]]] = defaultdict(lambda: defaultdict(list))
    for k, e in unique.items():  # arrival order
        if k in new_keys:
            groups[e.service][e.prediction_id].append(e)
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    trust: dict[tuple[str, int, str], TrustCounts] = defaultdict(TrustCounts)
    replaced = joined = pending = stale = 0
    for service in sorted(groups):
        by_pred = groups[service]
        spec = spec_for(conn, service)
        kind, positive = kind_of(spec), positive_class(spec)
        pids = sorted(by_pred)
        current = {row[0]: row for row in select_in(
            conn, "SELECT prediction_id, ts, event, n_events, pred_ts, pair FROM tt_feedback "
                  "WHERE project = ? AND service = ? AND prediction_id IN ({in_})", (project, service), pids)}
        preds = _predictions(conn, project, service, pids)
        upserts, counts = [], []
        for pid in pids:
            evs = by_pred[pid]
            winner = max(enumerate(evs), key=lambda ie: (ie[1].ts, ie[0]))[1]
            cur = current.get(pid)
            n_events = (cur[3] if cur is not None else 0) + len(evs)
            if cur is not None and cur[1] > winner.ts:
                stale += len(evs)
                counts.append((n_events, project, service, pid))
                continue
            stale += len(evs) - 1
            if cur is not None:
                replaced += 1
                old = _event(service, cur[2])
                trust[(service, hour_of(old.ts), old.actor or "")].add(old, -1)
                if cur[5] is not None:
                    perf[(service, minute_of(cur[4]))].add_pair(_pair(cur[5]), -1)
            trust[(service, hour_of(winner.ts), winner.actor or "")].add(winner)
            rec = preds.get(pid)
            pair = None
            if rec is None:
                pending += 1
            else:
                joined += 1
                pair = pair_for(rec, winner.target, winner.ts, kind, positive)
                if pair is not None:
                    perf[(service, minute_of(rec.ts))].add_pair(pair)
            upserts.append((project, service, pid, winner.key, float(winner.ts), _json.dumps(winner.to_dict()),
                            _json.dumps(winner.target), n_events, float(rec.ts) if rec is not None else None, _pair_json(pair)))
        many(conn, "INSERT INTO tt_feedback (project, service, prediction_id, key, ts, event, target, n_events, pred_ts, pair) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, service, prediction_id) DO UPDATE SET "
                   "key = excluded.key, ts = excluded.ts, event = excluded.event, target = excluded.target, "
                   "n_events = excluded.n_events, pred_ts = excluded.pred_ts, pair = excluded.pair", upserts)
        many(conn, "UPDATE tt_feedback SET n_events = ? WHERE project = ? AND service = ? AND prediction_id = ?", counts)
    _apply_perf(conn, project, perf)
    _apply_trust(conn, project, trust)
    n_new = len(new_keys)
    return FeedbackResult(n_new, len(events) - n_new, replaced, joined, pending, stale)


def existing_ids(conn: Connection, project: str, records: Sequence[PredictionRecord]) -> set[str]:
    """Ids of ``records`` already stored: asked before the insert, so that what is folded
    per prediction (the confidence minutes) counts a replayed record once."""
    ids = sorted({r.id for r in records})
    return {i for (i,) in select_in(conn, "SELECT id FROM tt_predictions WHERE project = ? AND id IN ({in_})", (project,), ids)}


def fold_confidence(conn: Connection, project: str, records: Sequence[PredictionRecord], existing: set[str]) -> None:
    """Fold newly stored records' confidences into their minute's row of ``tt_conf_minutes``."""
    deltas: dict[tuple[str, int], ConfHist] = defaultdict(ConfHist)
    seen: set[str] = set()
    for r in records:
        if r.id in existing or r.id in seen or r.confidence is None:
            continue
        seen.add(r.id)
        deltas[(r.service, minute_of(r.ts))].add(r)
    c = conf_minutes.c
    for service in sorted({k[0] for k in deltas}):
        minutes = sorted(m for s, m in deltas if s == service)
        empty = ConfHist().to_json()
        many(conn, "INSERT INTO tt_conf_minutes (project, service, minute, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
             [(project, service, m, empty) for m in minutes])
        q = sa.select(c.minute, c.data).where(c.project == project, c.service == service).order_by(c.minute).with_for_update()
        updates = []
        for minute, data in _select_in(conn, q, c.minute, minutes):
            h = ConfHist.from_json(data)
            h.absorb(deltas[(service, int(minute))])
            updates.append((h.to_json(), project, service, int(minute)))
        many(conn, "UPDATE tt_conf_minutes SET data = ? WHERE project = ? AND service = ? AND minute = ?", updates)


def read_conf_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, ConfHist]]:
    c = conf_minutes.c
    q = sa.select(c.minute, c.data).where(c.project == project, c.service == service, c.minute >= math.ceil(since), c.minute < until).order_by(c.minute)
    return [(int(m), ConfHist.from_json(d)) for m, d in conn.execute(q)]


def join_arrived(conn: Connection, project: str, records: Sequence[PredictionRecord], spec_for: SpecLookup) -> int:
    """Fold the pending feedback of ``records`` (predictions just written); return how many joined."""
    by_service: dict[str, dict[str, PredictionRecord]] = defaultdict(dict)
    for r in records:
        by_service[r.service].setdefault(r.id, r)
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    n = 0
    for service in sorted(by_service):
        recs = by_service[service]
        rows = list(select_in(conn, "SELECT prediction_id, ts, target FROM tt_feedback WHERE project = ? AND service = ? "
                                    "AND pred_ts IS NULL AND prediction_id IN ({in_})", (project, service), sorted(recs)))
        if not rows:
            continue
        spec = spec_for(conn, service)
        kind, positive = kind_of(spec), positive_class(spec)
        updates = []
        for pid, label_ts, target in sorted(rows):
            rec = recs[pid]
            pair = pair_for(rec, json.loads(target), label_ts, kind, positive)
            if pair is not None:
                perf[(service, minute_of(rec.ts))].add_pair(pair)
            updates.append((float(rec.ts), _pair_json(pair), project, service, pid))
        many(conn, "UPDATE tt_feedback SET pred_ts = ?, pair = ? WHERE project = ? AND service = ? AND prediction_id = ?", updates)
        n += len(updates)
    _apply_perf(conn, project, perf)
    return n


def _insert_new_events(conn: Connection, project: str, unique: dict[str, FeedbackEvent], now: float) -> set[str]:
    """Store events not seen before; return their keys. On SQLite the write lock is held from
    BEGIN IMMEDIATE, so looking first and inserting the rest is race-free; PostgreSQL lets the
    insert itself say which rows are new (ON CONFLICT DO NOTHING RETURNING)."""
    keys = sorted(unique)
    rows = [(project, k, unique[k].service, unique[k].prediction_id, float(unique[k].ts), now, _json.dumps(unique[k].to_dict())) for k in keys]
    if conn.dialect.name == "postgresql":
        cols = ("project", "key", "service", "prediction_id", "ts", "received_at", "event")
        stmt = insert_ignore(conn, feedback_events, ("project", "key")).returning(feedback_events.c.key)
        return set(conn.execute(stmt, [dict(zip(cols, r)) for r in rows]).scalars())
    seen = {k for (k,) in select_in(conn, "SELECT key FROM tt_feedback_events WHERE project = ? AND key IN ({in_})", (project,), keys)}
    fresh = [r for r in rows if r[1] not in seen]
    many(conn, "INSERT INTO tt_feedback_events (project, key, service, prediction_id, ts, received_at, event) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", fresh)
    return {r[1] for r in fresh}


def read_perf_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, Summary]]:
    m = perf_minutes.c
    q = (sa.select(m.minute, m.data).where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until, m.n != 0)
         .order_by(m.minute))
    return [(int(minute), Summary.from_bytes(bytes(data))) for minute, data in conn.execute(q)]


def read_trust_hours(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, str, TrustCounts]]:
    """(hour, actor, counts) for the hours starting in [since, until)."""
    t = trust_hours.c
    q = (sa.select(t.hour, t.actor, t.data).where(t.project == project, t.service == service, t.hour >= math.ceil(since), t.hour < until)
         .order_by(t.hour, t.actor))
    return [(int(hour), actor, TrustCounts.from_json(data)) for hour, actor, data in conn.execute(q)]


def prediction_counts(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, int]]:
    """(minute, predictions stored) from the minute profiles' counts, for label coverage."""
    m = minute_profiles.c
    q = (sa.select(m.minute, sa.func.sum(m.n)).where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until)
         .group_by(m.minute).order_by(m.minute))
    return [(int(minute), int(n)) for minute, n in conn.execute(q)]


def feedback_state(conn: Connection, project: str, service: str, prediction_id: str) -> FeedbackState | None:
    f, h = feedback.c, feedback_events.c
    row = conn.execute(sa.select(f.event, f.pred_ts).where(f.project == project, f.service == service, f.prediction_id == prediction_id)).one_or_none()
    if row is None:
        return None
    q = (sa.select(h.event).where(h.project == project, h.service == service, h.prediction_id == prediction_id)
         .order_by(h.received_at, h.ts, h.key))
    history = [_event(service, t) for t in conn.execute(q).scalars()]
    return FeedbackState(_event(service, row.event), row.pred_ts is not None, history)


def joined_labels(conn: Connection, project: str, service: str, ids: Sequence[str]) -> dict[str, FeedbackEvent]:
    """The current feedback of each of ``ids`` that has some (for export)."""
    f = feedback.c
    q = sa.select(f.prediction_id, f.event).where(f.project == project, f.service == service)
    return {pid: _event(service, text) for pid, text in _select_in(conn, q, f.prediction_id, sorted(set(ids)))}


# -- helpers --------------------------------------------------------------------------

def _select_in(conn: Connection, q: Any, col: Any, values: Sequence[Any]) -> Iterable[Any]:
    for i in range(0, len(values), _CHUNK):
        yield from conn.execute(q.where(col.in_(values[i:i + _CHUNK])))


def _predictions(conn: Connection, project: str, service: str, ids: Sequence[str]) -> dict[str, PredictionRecord]:
    out = {}
    for pid, ts, source, text in select_in(conn, "SELECT id, ts, source, payload FROM tt_predictions WHERE project = ? AND service = ? "
                                                 "AND id IN ({in_})", (project, service), ids):
        d = _json.loads(text)  # only what scoring reads: the payload's other fields stay unparsed
        out[pid] = PredictionRecord(id=pid, service=service, ts=ts, inputs={}, output=d.get("output"),
                                    confidence=d.get("confidence"), source=source)
    return out


def _apply_perf(conn: Connection, project: str, deltas: dict[tuple[str, int], Summary]) -> None:
    m = perf_minutes.c
    for service in sorted({k[0] for k in deltas}):
        minutes = sorted(minute for s, minute in deltas if s == service)
        empty = Summary().to_bytes()
        conn.execute(insert_ignore(conn, perf_minutes, ("project", "service", "minute")),
                     [{"project": project, "service": service, "minute": minute, "n": 0, "data": empty} for minute in minutes])
        q = sa.select(m.minute, m.data).where(m.project == project, m.service == service).order_by(m.minute).with_for_update()
        updates = []
        for minute, data in _select_in(conn, q, m.minute, minutes):
            merged = Summary.from_bytes(bytes(data))
            merged.absorb(deltas[(service, int(minute))])
            updates.append({"b_service": service, "b_minute": int(minute), "b_n": merged.n, "b_data": merged.to_bytes()})
        stmt = (perf_minutes.update().where(m.project == project, m.service == sa.bindparam("b_service"), m.minute == sa.bindparam("b_minute"))
                .values(n=sa.bindparam("b_n"), data=sa.bindparam("b_data")))
        conn.execute(stmt, updates)


def _apply_trust(conn: Connection, project: str, deltas: dict[tuple[str, int, str], TrustCounts]) -> None:
    t = trust_hours.c
    for service in sorted({k[0] for k in deltas}):
        keys = sorted((hour, actor) for s, hour, actor in deltas if s == service)
        empty = TrustCounts().to_json()
        conn.execute(insert_ignore(conn, trust_hours, ("project", "service", "hour", "actor")),
                     [{"project": project, "service": service, "hour": h, "actor": a, "data": empty} for h, a in keys])
        wanted = set(keys)
        q = sa.select(t.hour, t.actor, t.data).where(t.project == project, t.service == service).order_by(t.hour, t.actor).with_for_update()
        updates = []
        for hour, actor, data in _select_in(conn, q, t.hour, sorted({h for h, _ in keys})):
            if (int(hour), actor) not in wanted:
                continue
            merged = TrustCounts.from_json(data).merge(deltas[(service, int(hour), actor)])
            updates.append({"b_service": service, "b_hour": int(hour), "b_actor": actor, "b_data": merged.to_json()})
        stmt = (trust_hours.update()
                .where(t.project == project, t.service == sa.bindparam("b_service"), t.hour == sa.bindparam("b_hour"), t.actor == sa.bindparam("b_actor"))
                .values(data=sa.bindparam("b_data")))
        conn.execute(stmt, updates)


def _event(service: str, text: str) -> FeedbackEvent:
    d = json.loads(text)
    return FeedbackEvent(prediction_id=d["id"], service=service, ts=d["ts"], label=d.get("label"), action=d.get("action"),
                         value=d.get("value"), actor=d.get("actor"), key=d.get("key") or "")


def _pair_json(p: Pair | None) -> str | None:
    if p is None:
        return None
    return json.dumps([p.kind, p.actual, p.predicted, p.confidence, p.p_pos, p.y_pos, p.delay_s], separators=(",", ":"))


def _pair(text: str) -> Pair:
    return Pair(*json.loads(text))
