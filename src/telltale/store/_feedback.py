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

A batch is handled as a batch: one query finds every id's current label and prediction,
the pairs are scored and folded per minute column-wise (performance/fold.py), trust counts
per distinct (hour, actor, action), and each table is written with one ``executemany``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.feedback.counts import TrustCounts, counts_by_hour, hour_of
from telltale.feedback.event import FeedbackEvent
from telltale.performance.confidence import ConfHist
from telltale.performance.fold import fold, score
from telltale.performance.pairs import kind_of, positive_class
from telltale.performance.summary import Pair, Summary
from telltale.store import _json, _label_updates
from telltale.store._bulk import execute, id_rows, many, query
from telltale.store._feedback_text import event_json, loads_all, pair_texts
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


def write_feedback(conn: Connection, project: str, events: Sequence[FeedbackEvent], spec_for: SpecLookup, now: float) -> FeedbackResult:
    unique: dict[str, FeedbackEvent] = {}
    for e in events:
        unique.setdefault(e.key, e)
    if not unique:
        return FeedbackResult(0, len(events), 0, 0, 0, 0)
    texts = _insert_new_events(conn, project, unique, now)  # new events only; the history and the current row share the text
    groups: dict[str, dict[str, list[FeedbackEvent]]] = defaultdict(lambda: defaultdict(list))
    for k, e in unique.items():  # arrival order
        if k in texts:
            groups[e.service][e.prediction_id].append(e)
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    trust: dict[tuple[str, int, str], TrustCounts] = defaultdict(TrustCounts)
    replaced = joined = pending = stale = 0
    for service in sorted(groups):
        by_pred = groups[service]
        spec = spec_for(conn, service)
        pids = sorted(by_pred)
        found = {row[0]: row for row in id_rows(conn, _lookup_sql(conn), (), pids, (project, service, project, service))}
        upserts: list[list[Any]] = []
        counts, winners, arrived = [], [], []
        for pid in pids:
            evs = by_pred[pid]
            winner = evs[0] if len(evs) == 1 else max(enumerate(evs), key=lambda ie: (ie[1].ts, ie[0]))[1]
            _, cur_ts, cur_event, cur_n, cur_pred_ts, cur_pair, p_ts, p_source, p_output, p_conf = found[pid]
            n_events = (cur_n or 0) + len(evs)
            if cur_ts is not None and cur_ts > winner.ts:
                stale += len(evs)
                counts.append((n_events, project, service, pid))
                continue
            stale += len(evs) - 1
            if cur_ts is not None:
                replaced += 1
                old = _event(service, cur_event)
                trust[(service, hour_of(old.ts), old.actor or "")].add(old, -1)
                if cur_pair is not None:
                    perf[(service, minute_of(cur_pred_ts))].add_pair(_pair(cur_pair), -1)
            winners.append(winner)
            target = winner.target
            if p_ts is None:
                pending += 1
            else:
                joined += 1
                arrived.append((len(upserts), p_ts, p_source, p_output, p_conf, target, winner.ts))
            upserts.append([pid, winner.key, float(winner.ts), texts[winner.key], _json.scalar(target), n_events, p_ts, None])
        if arrived:  # score the pairs whose prediction is stored, all at once
            cols = score(kind_of(spec), positive_class(spec), loads_all([a[3] for a in arrived]), loads_all([a[4] for a in arrived]),
                         [a[2] for a in arrived], [a[1] for a in arrived], [a[5] for a in arrived], [a[6] for a in arrived])
            for row, text in zip(cols.rows, pair_texts(cols)):
                upserts[arrived[row][0]][7] = text
            _add_deltas(perf, service, fold(cols))
        for (hour, actor), c in counts_by_hour(winners).items():
            tk = (service, hour, actor)
            trust[tk] = trust[tk].merge(c) if tk in trust else c
        _upsert_current(conn, project, service, upserts)
        many(conn, "UPDATE tt_feedback SET n_events = ? WHERE project = ? AND service = ? AND prediction_id = ?", counts)
    _apply_perf(conn, project, perf, now)
    _apply_trust(conn, project, trust)
    n_new = len(texts)
    return FeedbackResult(n_new, len(events) - n_new, replaced, joined, pending, stale)


def _upsert_current(conn: Connection, project: str, service: str, rows: list[list[Any]]) -> None:
    """Make each row ``[prediction_id, key, ts, event, target, n_events, pred_ts, pair]`` the
    decision's current feedback; rows in id order, so concurrent writers lock in one order.
    On PostgreSQL one statement over arrays of the columns (a round trip per row is most of
    the cost there); on SQLite, in process, one ``executemany``."""
    conflict = ("ON CONFLICT (project, service, prediction_id) DO UPDATE SET key = excluded.key, ts = excluded.ts, "
                "event = excluded.event, target = excluded.target, n_events = excluded.n_events, pred_ts = excluded.pred_ts, "
                "pair = excluded.pair")
    cols = "INSERT INTO tt_feedback (project, service, prediction_id, key, ts, event, target, n_events, pred_ts, pair) "
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        pid, key, ts, event, target, n, pred_ts, pair = (list(c) for c in zip(*rows))
        execute(conn, cols + "SELECT ?, ?, u.* FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS float8[]), CAST(? AS text[]), "
                           "CAST(? AS text[]), CAST(? AS int[]), CAST(? AS float8[]), CAST(? AS text[])) "
                           "AS u(pid, key, ts, event, target, n, pred_ts, pair) " + conflict,
              (project, service, pid, key, ts, event, target, n, pred_ts, pair))
    else:
        many(conn, cols + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " + conflict, [(project, service, *r) for r in rows])


def _add_deltas(perf: dict[tuple[str, int], Summary], service: str, deltas: dict[int, Summary]) -> None:
    for minute, delta in deltas.items():
        cur = perf.get((service, minute))
        if cur is None:
            perf[(service, minute)] = delta
        else:
            cur.absorb(delta)


def _lookup_sql(conn: Connection) -> str:
    """Per id of a batch: its current feedback and its prediction (what scoring reads of the
    payload, as JSON text, extracted by the database), both by primary key, in one query."""
    if conn.dialect.name == "postgresql":
        output, confidence = ("CAST(CAST(p.payload AS json) -> 'output' AS text)", "CAST(CAST(p.payload AS json) -> 'confidence' AS text)")
    else:
        output, confidence = "p.payload -> '$.output'", "p.payload -> '$.confidence'"
    return ("SELECT i.value, f.ts, f.event, f.n_events, f.pred_ts, f.pair, p.ts, p.source, " + output + ", " + confidence + " "
            "FROM {ids} LEFT JOIN tt_feedback f ON f.project = ? AND f.service = ? AND f.prediction_id = i.value "
            "LEFT JOIN tt_predictions p ON p.project = ? AND p.service = ? AND p.id = i.value")


def _pending_sql(conn: Connection) -> str:
    """Per id of a batch of new predictions: its label waiting, if any; on PostgreSQL the rows
    are locked, in id order (the update that marks them joined is one statement)."""
    lock = " ORDER BY f.prediction_id FOR UPDATE OF f" if conn.dialect.name == "postgresql" else ""
    return ("SELECT f.prediction_id, f.ts, f.target FROM {ids} CROSS JOIN tt_feedback f WHERE f.project = ? "
            "AND f.service = ? AND f.prediction_id = i.value AND f.pred_ts IS NULL" + lock)


def fold_confidence(conn: Connection, project: str, new: Sequence[PredictionRecord]) -> None:
    """Fold newly stored records' confidences into their minute's row of ``tt_conf_minutes``
    (only new ones: a replayed record counts once)."""
    deltas: dict[tuple[str, int], ConfHist] = defaultdict(ConfHist)
    for r in new:
        if r.confidence is not None:
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


def join_arrived(conn: Connection, project: str, new: Sequence[PredictionRecord], spec_for: SpecLookup, now: float) -> int:
    """Fold the pending feedback of ``new`` (predictions just stored for the first time: only
    they can have feedback waiting); return how many joined. One query per service finds
    the pending labels, one ``executemany`` marks them joined."""
    by_service: dict[str, dict[str, PredictionRecord]] = defaultdict(dict)
    for r in new:
        by_service[r.service].setdefault(r.id, r)
    perf: dict[tuple[str, int], Summary] = defaultdict(Summary)
    n = 0
    for service in sorted(by_service):
        recs = by_service[service]
        rows = sorted(id_rows(conn, _pending_sql(conn), (), sorted(recs), (project, service)), key=itemgetter(0))
        if not rows:
            continue
        spec = spec_for(conn, service)
        got = [recs[pid] for pid, _, _ in rows]
        cols = score(kind_of(spec), positive_class(spec), [r.output for r in got], [r.confidence for r in got], [r.source for r in got],
                     [r.ts for r in got], loads_all([target for _, _, target in rows]), [label_ts for _, label_ts, _ in rows])
        pairs: list[str | None] = [None] * len(rows)
        for row, text in zip(cols.rows, pair_texts(cols)):
            pairs[row] = text
        _add_deltas(perf, service, fold(cols))
        if conn.dialect.name == "postgresql":  # one statement; _pending_sql locked the rows in id order
            execute(conn, "UPDATE tt_feedback AS f SET pred_ts = u.t, pair = u.p FROM unnest(CAST(? AS text[]), CAST(? AS float8[]), "
                        "CAST(? AS text[])) AS u(id, t, p) WHERE f.project = ? AND f.service = ? AND f.prediction_id = u.id",
                  ([r.id for r in got], [float(r.ts) for r in got], pairs, project, service))
        else:
            many(conn, "UPDATE tt_feedback SET pred_ts = ?, pair = ? WHERE project = ? AND service = ? AND prediction_id = ?",
                 [(float(r.ts), pair, project, service, r.id) for r, pair in zip(got, pairs)])
        n += len(rows)
    _apply_perf(conn, project, perf, now)
    return n


def _insert_new_events(conn: Connection, project: str, unique: dict[str, FeedbackEvent], now: float) -> dict[str, str]:
    """Store events not seen before; return their keys, each with the event's JSON text. On
    SQLite the write lock is held from BEGIN IMMEDIATE, so looking first (one query) and
    inserting the rest is race-free, and a replay encodes nothing; PostgreSQL lets the
    insert itself say which rows are new (ON CONFLICT DO NOTHING RETURNING)."""
    keys = sorted(unique)
    if conn.dialect.name == "postgresql":  # one statement over arrays of the columns (unnest), not a row of parameters per event
        texts = [event_json(unique[k]) for k in keys]
        evs = [unique[k] for k in keys]
        new = query(conn, "INSERT INTO tt_feedback_events (project, key, service, prediction_id, ts, received_at, event) "
                          "SELECT ?, u.k, u.s, u.p, u.t, ?, u.e FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), "
                          "CAST(? AS float8[]), CAST(? AS text[])) AS u(k, s, p, t, e) ON CONFLICT (project, key) DO NOTHING RETURNING key",
                    (project, now, keys, [e.service for e in evs], [e.prediction_id for e in evs], [float(e.ts) for e in evs], texts))
        by_key = dict(zip(keys, texts))
        return {k: by_key[k] for (k,) in new}
    seen = {k for (k,) in id_rows(conn, "SELECT e.key FROM {ids} CROSS JOIN tt_feedback_events e WHERE e.project = ? AND e.key = i.value",
                                  (), keys, (project,))}
    fresh = {k: event_json(unique[k]) for k in keys if k not in seen}
    many(conn, "INSERT INTO tt_feedback_events (project, key, service, prediction_id, ts, received_at, event) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
         [(project, k, unique[k].service, unique[k].prediction_id, float(unique[k].ts), now, text) for k, text in fresh.items()])
    return fresh


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


def _apply_perf(conn: Connection, project: str, deltas: dict[tuple[str, int], Summary], now: float) -> None:
    """Add ``deltas`` to their minute rows and mark the minutes changed (``tt_label_updates``):
    the monitor re-judges the windows whose labels changed (``monitor.tick``)."""
    m = perf_minutes.c
    for service in sorted({k[0] for k in deltas}):
        minutes = sorted(minute for s, minute in deltas if s == service)
        empty = Summary().to_bytes()
        many(conn, "INSERT INTO tt_perf_minutes (project, service, minute, n, data) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
             [(project, service, minute, empty) for minute in minutes])
        q = sa.select(m.minute, m.data).where(m.project == project, m.service == service).order_by(m.minute).with_for_update()
        updates = []
        for minute, data in _select_in(conn, q, m.minute, minutes):
            merged = Summary.from_bytes(bytes(data))
            merged.absorb(deltas[(service, int(minute))])
            updates.append((merged.n, merged.to_bytes(), project, service, int(minute)))
        many(conn, "UPDATE tt_perf_minutes SET n = ?, data = ? WHERE project = ? AND service = ? AND minute = ?", updates)
        _label_updates.mark(conn, project, service, minutes, now)


def _apply_trust(conn: Connection, project: str, deltas: dict[tuple[str, int, str], TrustCounts]) -> None:
    t = trust_hours.c
    for service in sorted({k[0] for k in deltas}):
        keys = sorted((hour, actor) for s, hour, actor in deltas if s == service)
        empty = TrustCounts().to_json()
        many(conn, "INSERT INTO tt_trust_hours (project, service, hour, actor, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
             [(project, service, h, a, empty) for h, a in keys])
        wanted = set(keys)
        q = sa.select(t.hour, t.actor, t.data).where(t.project == project, t.service == service).order_by(t.hour, t.actor).with_for_update()
        updates = []
        for hour, actor, data in _select_in(conn, q, t.hour, sorted({h for h, _ in keys})):
            if (int(hour), actor) not in wanted:
                continue
            merged = TrustCounts.from_json(data).merge(deltas[(service, int(hour), actor)])
            updates.append((merged.to_json(), project, service, int(hour), actor))
        many(conn, "UPDATE tt_trust_hours SET data = ? WHERE project = ? AND service = ? AND hour = ? AND actor = ?", updates)


def _event(service: str, text: str) -> FeedbackEvent:
    d = json.loads(text)
    return FeedbackEvent(prediction_id=d["id"], service=service, ts=d["ts"], label=d.get("label"), action=d.get("action"),
                         value=d.get("value"), actor=d.get("actor"), key=d.get("key") or "")


def _pair(text: str) -> Pair:
    return Pair(*json.loads(text))
