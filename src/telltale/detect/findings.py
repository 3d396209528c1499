"""Change findings: every per-minute signal through its own change detector.

``change_findings(spec, minutes, window)`` runs a fresh detector per signal over a
bounded trailing span of minute profiles, rebuilt on every call rather than kept:

- the span starts on the hour at least ``LOOKBACK_S`` before the window's end, so every
  call within one hour replays the same history and the verdict on a window never
  depends on when, where or how often it was asked for (no state to store, migrate, or
  lose on restart; a late record that rewrites a minute is simply read next time);
- it reads only minute summaries, so its cost is the number of minutes times the
  number of signals, whatever the traffic;
- minutes after the window's end are ignored, so a window judged later, after more
  data came in, gets the same verdict as when it was judged live.

A finding is open in every window from the minute a change is detected in the bad
direction until the detector sees the signal return to its level before. The first
``REFERENCE_MIN`` minutes of the span are the baseline, so a change that lasts longer
than the span becomes the new normal: a change detector says that something changed,
and the budget and SLO checks say whether the new level is acceptable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from telltale.checks._common import fmt, pct
from telltale.detect.cusum import Cusum, RateCusum
from telltale.detect.detector import Alarm, Detector
from telltale.detect.signals import SIGNALS, Signal
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

#: Mean minutes between false alarms on one stationary signal: one a month (30 days).
ARL0_MIN = 43_200
#: Baseline length: two hours hold enough minutes for a median within 0.11 sd.
REFERENCE_MIN = 120
#: While quiet, the baseline is re-learnt every hour from the last two, following daily cycles.
REFRESH_MIN = 60
#: How far back each call reads: the baseline plus four hours of watching at least.
LOOKBACK_S = 6 * 3600
#: The span starts on this grid, so calls within one hour share their history.
ALIGN_S = 3600
#: A change at least doubling the level (or halving a level that must not fall) is critical.
CRITICAL_FACTOR = 2.0
#: ... and, for a rate, moving it by at least 5 points.
CRITICAL_POINTS = 0.05


@dataclass(frozen=True, slots=True)
class Episode:
    """A change in one signal: its onset alarm and, once seen, its return."""

    signal: Signal
    feature: str | None
    onset: Alarm
    end: Alarm | None
    after: float  # the level from the change's start to its return (or the end of the data), in the values' units


def detector_for(signal: Signal) -> Detector:
    """The detector the monitor runs on a signal (a fresh one per call)."""
    if signal.rate:
        return RateCusum(arl0=ARL0_MIN, reference=REFERENCE_MIN, refresh=REFRESH_MIN)
    return Cusum(arl0=ARL0_MIN, reference=REFERENCE_MIN, refresh=REFRESH_MIN)


def span_start(end: float) -> int:
    """Where the trailing span of a call ending at ``end`` begins (epoch seconds, on the hour)."""
    return int(math.floor((end - LOOKBACK_S) / ALIGN_S) * ALIGN_S)


def change_findings(spec: ServiceSpec | None, minutes: Sequence[tuple[int, Profile]], window: Window) -> list[Finding]:
    """Findings for every signal in a changed state during ``window``.

    ``minutes`` is what ``Store.read_minutes`` returns; pass at least the minutes from
    ``span_start(window end)`` (earlier and later ones are ignored).
    """
    return change_findings_many(spec, minutes, [window])[0]


def change_findings_many(spec: ServiceSpec | None, minutes: Sequence[tuple[int, Profile]],
                         windows: Sequence[Window]) -> list[list[Finding]]:
    """``change_findings`` for many windows at once (a findings query over days), the same
    answers: windows whose spans start on the same hour share one run of each detector,
    which is causal, so its alarms before a window's end are those of a run that stops there."""
    out: list[list[Finding]] = [[] for _ in windows]
    groups: dict[int, list[int]] = {}
    for i, w in enumerate(windows):
        groups.setdefault(span_start(w.end.timestamp()), []).append(i)
    for t0, members in groups.items():
        last = max(windows[i].end.timestamp() for i in members)
        n = max(0, math.ceil((last - t0) / 60))
        grid: list[Profile | None] = [None] * n
        for minute, profile in minutes:
            j = (int(minute) - t0) // 60
            if 0 <= j < n and t0 <= minute < last:
                grid[j] = profile
        runs = []
        for signal in SIGNALS:
            for feature, column in signal.features(spec, [p for p in grid if p is not None]):
                values = _series(signal, column, grid)
                runs.append((signal, feature, values, detector_for(signal).run(values)))
        for i in members:
            w0, w1 = windows[i].start.timestamp(), windows[i].end.timestamp()
            stop = max(0, math.ceil((w1 - t0) / 60))  # minutes of the span before the window's end
            found = []
            for signal, feature, values, alarms in runs:
                for ep in _episodes(signal, feature, values[:stop], [a for a in alarms if a.index < stop]):
                    ended = t0 + 60 * ep.end.index if ep.end is not None else math.inf
                    if ended >= w0:
                        found.append((signal.kind, feature, ep))
            out[i] = _findings(found, t0, windows[i])
    return out


def episodes(signal: Signal, feature: str | None, values: np.ndarray) -> list[Episode]:
    """The changes of one signal's series in its bad direction, each with its return if seen."""
    return _episodes(signal, feature, values, detector_for(signal).run(values))


def _episodes(signal: Signal, feature: str | None, values: np.ndarray, alarms: list[Alarm]) -> list[Episode]:
    level = detector_for(signal).level
    out: list[Episode] = []
    for i, a in enumerate(alarms):
        if a.onset and (signal.worse == 0 or a.direction == signal.worse):
            end = alarms[i + 1] if i + 1 < len(alarms) and not alarms[i + 1].onset else None
            after = level(values[a.start:end.start if end is not None else len(values)])
            out.append(Episode(signal, feature, a, end, after))
    return out


def _series(signal: Signal, column: str, grid: list[Profile | None]) -> np.ndarray:
    if signal.rate:
        return np.array([signal.read(p, column) if p is not None else (0.0, 0.0) for p in grid], dtype=np.float64).reshape(-1, 2)
    x = np.array([signal.read(p, column) if p is not None else math.nan for p in grid], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log1p(np.where(x >= 0, x, np.nan))


def _findings(found: list[tuple[str, str | None, Episode]], t0: int, window: Window) -> list[Finding]:
    """One finding per (kind, feature): the episode that began first, the others named with it."""
    groups: dict[tuple[str, str | None], list[Episode]] = {}
    for kind, feature, ep in found:
        groups.setdefault((kind, feature), []).append(ep)
    out = []
    for (kind, feature), eps in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        eps.sort(key=lambda e: (e.onset.start, e.onset.index, e.signal.name))
        first = eps[0]
        severity: Severity = "critical" if any(_critical(e) for e in eps) else "warning"
        text = "; ".join(_sentence(e, t0) for e in eps)
        out.append(Finding(
            kind=kind, feature=feature, severity=severity, statistic="cusum", value=first.onset.statistic,
            threshold=first.onset.threshold, window=window,
            message=f"{text} (CUSUM change detection, calibrated for one false alarm per signal a month)",
        ))
    return out


def _levels(ep: Episode) -> tuple[float, float]:
    if ep.signal.rate:
        return ep.onset.before, ep.after
    return math.expm1(ep.onset.before), math.expm1(ep.after)


def _critical(ep: Episode) -> bool:
    before, after = _levels(ep)
    if ep.onset.direction < 0:
        before, after = after, before  # a fall that is the problem: measured the same way up
    if not (after >= CRITICAL_FACTOR * before):
        return False
    return not ep.signal.rate or after - before >= CRITICAL_POINTS


def _sentence(ep: Episode, t0: int) -> str:
    before, after = _levels(ep)
    show = pct if ep.signal.rate else (lambda v: f"{fmt(v)} {ep.signal.unit}".rstrip())
    where = _where(ep)
    moved = "rose" if ep.onset.direction > 0 else "fell"
    began = _clock(t0 + 60 * ep.onset.start)
    seen = _clock(t0 + 60 * ep.onset.index)
    text = f"{ep.signal.name}{where} {moved} from {show(before)} to {show(after)}: the change began at {began}, detected at {seen}"
    if ep.end is not None:
        text += f"; back to its level since {_clock(t0 + 60 * ep.end.start)}"
    return text


def _where(ep: Episode) -> str:
    if ep.feature is None:
        return ""
    kind = ep.signal.kind
    if kind == "latency":
        return f" of stage {ep.feature!r}"
    if kind == "guard":
        return f" of guard {ep.feature!r}"
    if kind == "nulls":
        return f" of {ep.feature}"
    return ""


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["ARL0_MIN", "LOOKBACK_S", "REFERENCE_MIN", "Episode", "change_findings", "change_findings_many", "detector_for",
           "episodes", "span_start"]
