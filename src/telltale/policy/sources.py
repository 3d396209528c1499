"""Where each indicator's data comes from: one reader per source of :mod:`telltale.indicators`.

``read(store, project, spec, source, since, until)`` gives ``(minute, data, records)`` for
each minute of [since, until) that has something to judge, oldest first: ``data`` is what
the indicator's ``count``/``gauge`` reads, ``records`` the decisions the service recorded
that minute (so the SLO can tell "the indicator stopped" from "the service stopped").

A minute of a gauge source (the review queue, finding statistics) is an event when the
service recorded decisions in it, or (for the queue) when an item was open: a quiet
service has no events, and its SLO then says "not enough events" or "no data" as a
traffic SLO does.

``late_s(source, end)`` is how far back a tick recomputes a source's minutes: labels join
their prediction's minute when they arrive (the last hour is recounted every tick, the
last day on the tick at the top of each hour: decoding a day of label summaries every
minute would cost more than the rest of the tick), findings land when their window
closes (an hour), the rest within seconds (two minutes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telltale.indicators import MERGE, Expected, FindingValue, Queue, Source
from telltale.performance.pairs import positive_class
from telltale.performance.summary import Summary
from telltale.spec.model import ServiceSpec

if TYPE_CHECKING:  # the estimate needs SciPy and scikit-learn: loaded when an estimated SLO is read
    from telltale.performance.confidence import ConfHist
    from telltale.performance.estimate import Calibration

MINUTE = 60
DAY = 86400

#: Seconds of minutes each tick recomputes, per source (labels: see :func:`late_s`).
LATE_S: dict[Source, int] = {"profile": 120, "labels": 3600, "estimate": 120, "feedback": 120, "reviews": 120, "findings": 3600}
#: How far back labels are recounted on the tick at the top of each hour.
LABELS_LATE_S = DAY


def late_s(source: Source, end: int) -> int:
    """How far before ``end`` (a minute) a tick recounts ``source``."""
    if source == "labels" and end % 3600 == 0:
        return LABELS_LATE_S
    return LATE_S[source]

Rows = list[tuple[int, Any, int]]
Data = list[tuple[int, Any]]
Reader = Callable[[Any, str, ServiceSpec, float, float], Data]


def _profile(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    return list(store.read_minutes(project, spec.service, since, until))


def _labels(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    return list(store.read_perf_minutes(project, spec.service, since, until))


def _estimate(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    """Each minute's confidences, calibrated on the labelled reference of the
    ``performance.baseline_s`` before the minute's UTC day (the same for the whole day, so a
    recount gives the same events); uncalibrated in bins where the reference has too few labels."""
    from telltale.performance.estimate import Calibration

    cals: dict[int, Calibration] = {}
    positive = positive_class(spec)
    out: Data = []
    for m, h in store.read_conf_minutes(project, spec.service, since, until):
        day = m // DAY * DAY
        if day not in cals:
            ref = store.read_perf_minutes(project, spec.service, day - spec.performance.baseline_s, day)
            cals[day] = Calibration.from_reference(Summary.merge_all(s for _, s in ref), positive is not None)
        hits, n = _expected_hits(cals[day], h, positive)
        if n:
            out.append((m, Expected(hits, n)))
    return out


def _expected_hits(cal: Calibration, h: ConfHist, positive: str | None) -> tuple[float, int]:
    """Expected correct predictions among a minute's served ones, as the monitor's estimate
    computes them: from positive-class scores for a binary classifier, else top-label confidence."""
    from telltale.performance.estimate import served_counts
    from telltale.performance.estimate_metrics import expected

    counts = served_counts(h, positive) if positive is not None and cal.score is not None else None
    if counts is not None and counts.n and cal.score is not None:
        e = expected(counts, cal.score)
        if e is not None:
            return e.accuracy * counts.n, counts.n
    hits, _, n = cal.conf.expected_hits(h.n, h.total)
    return hits, n


def _feedback(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    return list(store.feedback_minutes(project, spec.service, since, until))


def _reviews(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    """The queue's minutes; a minute with records but no open item is an empty queue."""
    queues = dict(store.queue_minutes(project, spec.service, since, until))
    recs = _records(store, project, spec.service, since, until)
    return [(m, queues.get(m, Queue())) for m in sorted(set(recs) | set(queues))]


def _findings(store: Any, project: str, spec: ServiceSpec, since: float, until: float) -> Data:
    """Each minute with records, with the finding windows covering it (none: nothing past a threshold)."""
    covering: dict[int, list[FindingValue]] = {m: [] for m in _records(store, project, spec.service, since, until)}
    for start, end, v in store.finding_values(project, spec.service, since, until):
        first = int(-(-start // MINUTE)) * MINUTE
        for m in range(max(first, int(since)), int(min(end, until)), MINUTE):
            if m in covering:
                covering[m].append(v)
    return [(m, tuple(vs)) for m, vs in sorted(covering.items())]


def _records(store: Any, project: str, service: str, since: float, until: float) -> dict[int, int]:
    return {m: n for m, n in store.prediction_counts(project, service, since, until) if n}


#: The reader of every source the table names.
READERS: dict[Source, Reader] = {"profile": _profile, "labels": _labels, "estimate": _estimate,
                                 "feedback": _feedback, "reviews": _reviews, "findings": _findings}


def read(store: Any, project: str, spec: ServiceSpec, source: Source, since: float, until: float) -> Rows:
    """(minute, data, records) of ``source`` for the minutes of [since, until) with data or
    records, oldest first; ``data`` is None in a minute with records but nothing of the source
    (its SLO counts no event there, and says "no data" when that lasts)."""
    got = dict(READERS[source](store, project, spec, since, until))
    if source == "profile":
        return [(m, p, p.n) for m, p in sorted(got.items())]
    recs = _records(store, project, spec.service, since, until)
    return [(m, got.get(m), recs.get(m, 0)) for m in sorted(set(got) | set(recs))]


def merged(source: Source, rows: Rows, lo: int, hi: int) -> Any:
    """The data of the minutes in [lo, hi) merged into one (None when there are none)."""
    items = [r[1] for r in rows if lo <= r[0] < hi and r[1] is not None]
    return MERGE[source](items) if items else None
