"""The monitor's tick: evaluate the windows that closed, and again those late records changed.

``tick(store, now)`` is what ``telltale serve`` runs every minute (``server/jobs.py``).
For each registered service it

1. evaluates every window that closed since the last tick (``WINDOW_S`` long, aligned
   to the epoch, closed ``CLOSE_DELAY_S`` after its end so a recorder's last batch is
   in), in order;
2. evaluates again every earlier window whose minute profiles changed since (late
   records: the store stamps each profile it folds into with ``updated_at``), and every
   earlier window whose labels changed since it was judged (late labels: the feedback
   write path marks the minutes of prediction time it scores, ``store/_label_updates.py``),
   up to ``performance.label_horizon_s`` back;
3. hands the verdicts to the store, which keeps the findings' lifecycle (see
   ``store/_findings.py``) and moves the service's cursor in the same transaction.

Its cost is one window of profiles per window evaluated plus the history before it (the
guard baseline's hour, the change detectors' six-hour span; decoded profiles are kept
between ticks), whatever the traffic: profiles, not records, are read.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from telltale.monitor.cache import cache_for
from telltale.monitor.canary import canary_findings
from telltale.monitor.causes import group
from telltale.monitor.windows import history_start, window_findings
from telltale.profile import Profile
from telltale.spec import ServiceSpec
from telltale.store import Store
from telltale.store._findings import Cursor, Evaluated
from telltale.store._label_updates import LabelMark
from telltale.types import Finding

log = logging.getLogger(__name__)

#: Window length: five minutes holds a few hundred decisions at modest traffic (enough
#: for the checks' significance gates) and keeps a problem's opened time within 5 minutes.
WINDOW_S = 300.0
#: A window is closed this long after its end: recorders flush every second or so.
CLOSE_DELAY_S = 30.0
#: On its first tick the monitor looks back this far (a day); older windows only if late records change them.
BACKFILL_S = 86400.0
#: At most this many new windows per service per tick (a day); a monitor further behind catches up tick by tick.
MAX_WINDOWS_PER_TICK = 288
#: At most this many windows per service per tick are judged again for late labels; the rest wait for the next tick.
MAX_LABEL_WINDOWS_PER_TICK = 288
#: Profile updates this close before the watermark are looked at again: transactions
#: stamp ``updated_at`` before they commit, so one may land just behind the watermark.
LATE_LOOKBACK_S = 120.0


@dataclass(frozen=True, slots=True)
class ServiceTick:
    """What one tick did for one service."""

    project: str
    service: str
    windows: int
    late: int
    recorded: bool


def tick(store: Store, now: float) -> list[ServiceTick]:
    """One pass of the monitor over every service of every project."""
    out = []
    for project in store.list_projects():
        for spec in store.list_services(project):
            out.append(tick_service(store, project, spec, now))
    return out


def tick_service(store: Store, project: str, spec: ServiceSpec, now: float, *, window_s: float = WINDOW_S) -> ServiceTick:
    service = spec.service
    cur = store.monitor_cursor(project, service)
    closed = math.floor((now - CLOSE_DELAY_S) / window_s) * window_s
    start = cur.evaluated_until if cur else closed - BACKFILL_S
    after = cur.watermark - LATE_LOOKBACK_S if cur else math.inf
    newest, touched = store.profile_updates(project, service, after, start)
    end = min(closed, start + MAX_WINDOWS_PER_TICK * window_s)
    relabel, judged = _relabelled(store, project, spec, cur, start, end, now, window_s)
    reference = store.get_reference(project, service)
    windows: list[Evaluated] = []
    late = sorted({math.floor(m / window_s) * window_s for m in touched} | relabel)
    for w0 in late:
        windows.append(_evaluate(store, project, spec, reference, w0, w0 + window_s, late=True))
    if end > start:
        minutes = cache_for(store).read_minutes(store, project, service, history_start(start, start + window_s), end)
        starts = [m for m, _ in minutes]
        w0 = start
        while w0 < end:
            windows.append(_one(store, project, spec, reference, minutes, starts, w0, w0 + window_s, late=False))
            w0 += window_s
    advance = Cursor(max(end, start), newest if newest is not None else (cur.watermark if cur else 0.0))
    if not windows and not judged and cur is not None:
        return ServiceTick(project, service, 0, 0, True)  # nothing closed, nothing late: no write (the watermark can wait)
    ok = store.record_windows(project, service, windows, window_s=window_s, expect=cur, advance=advance, labels_judged=judged)
    if not ok:
        log.info("monitor: %s/%s was ticked by another monitor; skipped", project, service)
    return ServiceTick(project, service, sum(not w.late for w in windows), len(late), ok)


def _relabelled(store: Store, project: str, spec: ServiceSpec, cur: Cursor | None, start: float, end: float, now: float,
                window_s: float) -> tuple[set[float], list[LabelMark]]:
    """Windows before ``start`` to judge again because labels for their predictions arrived
    since they were judged (at most ``MAX_LABEL_WINDOWS_PER_TICK``, oldest first, the rest
    next tick; none older than ``performance.label_horizon_s`` or on the first tick), and
    the label marks this tick settles: those of these windows, of the windows evaluated for
    the first time now (they read every label in), and those past the horizon."""
    horizon = now - spec.performance.label_horizon_s
    windows: set[float] = set()
    judged: list[LabelMark] = []
    for m in store.label_marks(project, spec.service, max(start, end)):
        w0 = math.floor(m.minute / window_s) * window_s
        if cur is None or w0 + window_s <= horizon or m.minute >= start:
            judged.append(m)  # first tick (never judged), too old to re-judge, or judged now for the first time
        elif w0 in windows or len(windows) < MAX_LABEL_WINDOWS_PER_TICK:
            windows.add(w0)
            judged.append(m)
    return windows, judged


def _evaluate(store: Store, project: str, spec: ServiceSpec, reference: Profile | None, w0: float, w1: float, *, late: bool) -> Evaluated:
    minutes = cache_for(store).read_minutes(store, project, spec.service, history_start(w0, w1), w1)
    return _one(store, project, spec, reference, minutes, [m for m, _ in minutes], w0, w1, late=late)


def _label_findings(store: Store, project: str, spec: ServiceSpec, window: Any) -> list[Finding]:
    """Realized and estimated performance, calibration and trust from the feedback joined so
    far (``telltale.feedback``): judged when the window closes, on the labels in by then,
    and again whenever later labels for its predictions arrive (``_relabelled``)."""
    from telltale.feedback.trust import trust_findings
    from telltale.performance.estimate import estimate_findings
    from telltale.performance.findings import performance_findings

    return [*performance_findings(store, project, spec, window), *estimate_findings(store, project, spec, window),
            *trust_findings(store, project, spec, window)]


def _one(store: Store, project: str, spec: ServiceSpec, reference: Profile | None, minutes: list[tuple[int, Profile]],
         starts: list[int], w0: float, w1: float, *, late: bool) -> Evaluated:
    profile, found = window_findings(spec, reference, minutes, starts, w0, w1)
    if profile is None:
        return Evaluated(w0, w1, 0, late=late)
    from telltale.detect import change_findings
    from telltale.types import Window

    window = Window.from_epoch(w0, w1)
    found = found + change_findings(spec, minutes[:bisect_left(starts, w1)], window) + _label_findings(store, project, spec, window)
    if profile.sources.get("canary", 0):
        found = found + canary_findings(spec, store.read_version_minutes(project, spec.service, w0, w1), Window.from_epoch(w0, w1))
    return Evaluated(w0, w1, profile.n, tuple(found), group(spec.service, spec, profile, found), late=late)
