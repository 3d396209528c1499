"""Reads for the SLO indicators that are not in the minute profiles: feedback per minute,
the review queue per minute, and the statistics of stored finding windows.

Each reads only the rows of the span asked for (by index), so a tick that recomputes the
last few minutes reads the last few minutes' rows.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.feedback.counts import TrustCounts
from telltale.indicators import FindingValue, Queue
from telltale.store.schema import feedback, finding_windows, reviews

MINUTE = 60
#: The longest monitor window a finding window can span (a day): how far before ``since``
#: the finding-window scan starts, so a window that began earlier but covers it is found.
MAX_WINDOW_S = 86400


def feedback_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, TrustCounts]]:
    """The current feedback of each decision, counted in the minute it was given, for minutes in [since, until)."""
    f = feedback.c
    q = (sa.select(f.ts, f.event)
         .where(f.project == project, f.service == service, f.ts >= math.ceil(since), f.ts < until))
    out: dict[int, TrustCounts] = defaultdict(TrustCounts)
    for ts, text in conn.execute(q):  # stored events were validated on the way in: count, do not rebuild them
        d = json.loads(text)
        c = out[int(ts // MINUTE) * MINUTE]
        c.total += 1
        action = d.get("action")
        if action is not None:
            c.actions[action] = c.actions.get(action, 0) + 1
        label = d.get("label")
        if isinstance(label, dict):
            for name, v in label.items():
                k = c.flags.setdefault(name, [0, 0])
                k[0] += bool(v)
                k[1] += 1
    return sorted(out.items())


def queue_minutes(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, Queue]]:
    """The review queue at the end of each minute in [since, until) when it was not empty.

    An item is open at instant ``t`` when its decision's ts <= t < the time it was decided."""
    v = reviews.c
    start = int(math.ceil(since / MINUTE)) * MINUTE
    q = (sa.select(v.ts, v.decided_at)
         .where(v.project == project, v.service == service, v.ts <= until,
                sa.or_(v.decided_at.is_(None), v.decided_at > start))
         .order_by(v.ts))
    rows = [(float(ts), float(dec) if dec is not None else math.inf) for ts, dec in conn.execute(q)]
    closes = sorted(max(dec, ts) for ts, dec in rows)
    heap: list[tuple[float, float]] = []
    out: list[tuple[int, Queue]] = []
    i = closed = 0
    for minute in range(start, int(until), MINUTE):
        t = minute + MINUTE
        while i < len(rows) and rows[i][0] <= t:
            heapq.heappush(heap, rows[i])
            i += 1
        while closed < len(closes) and closes[closed] <= t:
            closed += 1
        while heap and heap[0][1] <= t:
            heapq.heappop(heap)
        size = i - closed
        if size > 0 and heap:
            out.append((minute, Queue(size, t - heap[0][0])))
    return out


def finding_values(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[float, float, FindingValue]]:
    """(start, end, value) of every stored finding window overlapping [since, until) with a numeric statistic."""
    w = finding_windows.c
    q = (sa.select(w.start, w.end, w.data)
         .where(w.project == project, w.service == service, w.start >= since - MAX_WINDOW_S, w.start < until, w.end > since)
         .order_by(w.start))
    out = []
    for start, end, text in conn.execute(q):
        d = json.loads(text)
        value = d.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out.append((float(start), float(end), FindingValue(d["kind"], d.get("feature"), d.get("statistic") or "", float(value))))
    return out
