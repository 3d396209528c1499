"""Feedback: idempotent events, the current label per decision, and the join.

Every event goes into ``tt_feedback_events`` once (``ON CONFLICT DO NOTHING ... RETURNING``
says which are new, so a replayed batch changes nothing). Per decision, ``tt_feedback``
holds the current event: the newest by ``ts`` (a later arrival wins a tie); an older
event arriving late stays in the history only. When the decision's prediction is stored
(now or when it arrives later), the pair (prediction, label) is folded into its
prediction-minute row of ``tt_perf_minutes`` in the same transaction; the folded pair
is kept beside the label so that a replacing label un-folds exactly what was folded.
Trust counts fold per feedback minute and actor into ``tt_trust_minutes`` as events
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
from telltale.performance.pairs import kind_of, pair_for, positive_class
from telltale.performance.summary import Pair, Summary
from telltale.store import _json
from telltale.store._sql import insert_ignore
from telltale.store.schema import feedback, feedback_events, minute_profiles, perf_minutes, predictions, trust_minutes
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


def write_feedback(conn: Connection, project: str, events: Sequence[FeedbackEvent], spec_for: SpecLookup, now: float) -> FeedbackResult:
    unique: dict[str, FeedbackEvent] = {}
    for e in events:
        unique.setdefault(e.key, e)
    if not unique:
        return FeedbackResult(0, len(events), 0, 0, 0, 0)
    rows = [{"project": project, "key": k, "service": e.service, "prediction_id": e.prediction_id, "ts": float(e.ts),
             "received_at": now, "event": _json.dumps(e.to_dict())} for k, e in sorted(unique.items())]
    stmt = insert_ignore(conn, feedback_events, ("project", "key")).returning(feedback_events.c.key)
    new_keys = set(conn.execute(stmt, rows).scalars())
    groups: dict[str, dict[str, list[FeedbackEvent]]] = defaultdict(lambda: defaultdict(list))
    for k, e in unique.items():  # arrival order
        if k in new_keys:
            groups[e.service][e.prediction_id].append(e)
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    trust: dict[tuple[str, int, str], TrustCounts] = defaultdict(TrustCounts)
    replaced = joined = pending = stale = 0
    f = feedback.c
    for service in sorted(groups):
        by_pred = groups[service]
        spec = spec_for(conn, service)
        kind, positive = kind_of(spec), positive_class(spec)
        pids = sorted(by_pred)
        current = {r.prediction_id: r for r in _select_in(conn, sa.select(f.prediction_id, f.ts, f.event, f.n_events, f.pred_ts, f.pair)
                                                          .where(f.project == project, f.service == service), f.prediction_id, pids)}
        preds = _predictions(conn, project, service, pids)
        upserts = []
        for pid in pids:
            evs = by_pred[pid]
            winner = max(enumerate(evs), key=lambda ie: (ie[1].ts, ie[0]))[1]
            cur = current.get(pid)
            n_events = (cur.n_events if cur is not None else 0) + len(evs)
            if cur is not None and cur.ts > winner.ts:
                stale += len(evs)
                conn.execute(feedback.update().where(f.project == project, f.service == service, f.prediction_id == pid).values(n_events=n_events))
                continue
            stale += len(evs) - 1
            if cur is not None:
                replaced += 1
                old = _event(service, cur.event)
                trust[(service, minute_of(old.ts), old.actor or "")].add(old, -1)
                if cur.pair is not None:
                    perf[(service, minute_of(cur.pred_ts))].add_pair(_pair(cur.pair), -1)
            trust[(service, minute_of(winner.ts), winner.actor or "")].add(winner)
            rec = preds.get(pid)
            pair = pair_for(rec, winner.target, winner.ts, kind, positive) if rec is not None else None
            if rec is None:
                pending += 1
            else:
                joined += 1
            if pair is not None:
                perf[(service, minute_of(rec.ts))].add_pair(pair)  # type: ignore[union-attr]
            upserts.append({"project": project, "service": service, "prediction_id": pid, "key": winner.key, "ts": float(winner.ts),
                            "event": _json.dumps(winner.to_dict()), "n_events": n_events,
                            "pred_ts": float(rec.ts) if rec is not None else None, "pair": _pair_json(pair)})
        if upserts:
            _upsert_current(conn, upserts)
    _apply_perf(conn, project, perf)
    _apply_trust(conn, project, trust)
    n_new = len(new_keys)
    return FeedbackResult(n_new, len(events) - n_new, replaced, joined, pending, stale)


def join_arrived(conn: Connection, project: str, records: Sequence[PredictionRecord], spec_for: SpecLookup) -> int:
    """Fold the pending feedback of ``records`` (predictions just written); return how many joined."""
    by_service: dict[str, dict[str, PredictionRecord]] = defaultdict(dict)
    for r in records:
        by_service[r.service].setdefault(r.id, r)
    f = feedback.c
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    n = 0
    for service in sorted(by_service):
        recs = by_service[service]
        q = sa.select(f.prediction_id, f.event).where(f.project == project, f.service == service, f.pred_ts.is_(None))
        rows = list(_select_in(conn, q, f.prediction_id, sorted(recs)))
        if not rows:
            continue
        spec = spec_for(conn, service)
        kind, positive = kind_of(spec), positive_class(spec)
        updates = []
        for pid, text in sorted(rows):
            rec, e = recs[pid], _event(service, text)
            pair = pair_for(rec, e.target, e.ts, kind, positive)
            if pair is not None:
                perf[(service, minute_of(rec.ts))].add_pair(pair)
            updates.append({"b_service": service, "b_pid": pid, "b_ts": float(rec.ts), "b_pair": _pair_json(pair)})
        stmt = (feedback.update()
                .where(f.project == project, f.service == sa.bindparam("b_service"), f.prediction_id == sa.bindparam("b_pid"))
                .values(pred_ts=sa.bindparam("b_ts"), pair=sa.bindparam("b_pair")))
        conn.execute(stmt, updates)
        n += len(updates)
    _apply_perf(conn, project, perf)
    return n


def read_perf_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, Summary]]:
    m = perf_minutes.c
    q = (sa.select(m.minute, m.data).where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until, m.n != 0)
         .order_by(m.minute))
    return [(int(minute), Summary.from_json(data)) for minute, data in conn.execute(q)]


def read_trust_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, str, TrustCounts]]:
    t = trust_minutes.c
    q = (sa.select(t.minute, t.actor, t.data).where(t.project == project, t.service == service, t.minute >= math.ceil(since), t.minute < until)
         .order_by(t.minute, t.actor))
    return [(int(minute), actor, TrustCounts.from_json(data)) for minute, actor, data in conn.execute(q)]


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

def _select_in(conn: Connection, q: Any, col: Any, values: Sequence[str]) -> Iterable[Any]:
    for i in range(0, len(values), _CHUNK):
        yield from conn.execute(q.where(col.in_(values[i:i + _CHUNK])))


def _predictions(conn: Connection, project: str, service: str, ids: Sequence[str]) -> dict[str, PredictionRecord]:
    p = predictions.c
    q = sa.select(p.payload).where(p.project == project, p.service == service)
    out = {}
    for (text,) in _select_in(conn, q, p.id, ids):
        r = PredictionRecord.from_dict(_json.loads(text))
        out[r.id] = r
    return out


def _upsert_current(conn: Connection, rows: list[dict[str, Any]]) -> None:
    from telltale.store._sql import _insert

    stmt = _insert(conn, feedback)
    keys = ("project", "service", "prediction_id")
    rest = {k: stmt.excluded[k] for k in rows[0] if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=rest), rows)


def _apply_perf(conn: Connection, project: str, deltas: dict[tuple[str, int], Summary]) -> None:
    m = perf_minutes.c
    for (service, minute) in sorted(deltas):
        delta = deltas[(service, minute)]
        ident = {"project": project, "service": service, "minute": minute}
        conn.execute(insert_ignore(conn, perf_minutes, tuple(ident)), [{**ident, "n": 0, "data": Summary().to_json()}])
        where = sa.and_(m.project == project, m.service == service, m.minute == minute)
        data = conn.execute(sa.select(m.data).where(where).with_for_update()).scalar_one()
        merged = Summary.from_json(data).merge(delta)
        conn.execute(perf_minutes.update().where(where).values(n=merged.n, data=merged.to_json()))


def _apply_trust(conn: Connection, project: str, deltas: dict[tuple[str, int, str], TrustCounts]) -> None:
    t = trust_minutes.c
    for (service, minute, actor) in sorted(deltas):
        ident = {"project": project, "service": service, "minute": minute, "actor": actor}
        conn.execute(insert_ignore(conn, trust_minutes, tuple(ident)), [{**ident, "data": TrustCounts().to_json()}])
        where = sa.and_(t.project == project, t.service == service, t.minute == minute, t.actor == actor)
        data = conn.execute(sa.select(t.data).where(where).with_for_update()).scalar_one()
        merged = TrustCounts.from_json(data).merge(deltas[(service, minute, actor)])
        conn.execute(trust_minutes.update().where(where).values(data=merged.to_json()))


def _event(service: str, text: str) -> FeedbackEvent:
    d = json.loads(text)
    return FeedbackEvent(prediction_id=d["id"], service=service, ts=d["ts"], label=d.get("label"), action=d.get("action"),
                         value=d.get("value"), actor=d.get("actor"), key=d.get("key") or "")


def _pair_json(p: Pair | None) -> str | None:
    return None if p is None else json.dumps(dataclasses.asdict(p), separators=(",", ":"))


def _pair(text: str) -> Pair:
    return Pair(**json.loads(text))
