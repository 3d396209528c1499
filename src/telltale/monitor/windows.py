"""Findings per window from stored minute profiles: one window's verdict, and any span's.

Windows start on a minute boundary (profiles are per minute) and step by ``window_s``;
each is the merge of its minute profiles, checked by ``telltale.checks.run_checks``
against the service's reference profile, and its guard trigger rates against the hour
before it. Windows without records are skipped. The monitor's tick (``monitor.tick``)
and the ad-hoc route share :func:`window_findings`, so a stored finding and a finding
computed for an arbitrary span say the same thing about the same window.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from telltale.checks import run_checks
from telltale.detect import span_start
from telltale.profile import Profile
from telltale.spec import ServiceSpec
from telltale.store import Store
from telltale.types import (
    MAX_WINDOWS as MAX_WINDOWS,  # re-exported: telltale.monitor.MAX_WINDOWS
    Finding,
    Window,
    window_grid,
)

#: What a window's guard trigger rates are compared with: the hour before it. Long enough
#: to hold a few hundred calls at modest traffic, short enough to follow a daily cycle.
BASELINE_S = 3600.0


Minutes = Sequence[tuple[int, Profile]]


@dataclass(frozen=True, slots=True)
class WindowedFindings:
    findings: list[Finding]
    windows: int


def window_findings(spec: ServiceSpec, reference: Profile | None, minutes: Minutes, starts: Sequence[int],
                    w0: float, w1: float) -> tuple[Profile | None, list[Finding]]:
    """The merged profile of [w0, w1) and its findings; ``minutes`` must reach back to
    :func:`history_start` (``starts`` are their minutes, for bisecting). (None, []) without records."""
    profile = Profile.merge_all(p for _, p in minutes[bisect_left(starts, w0):bisect_left(starts, w1)])
    if profile is None:
        return None, []
    before = minutes[bisect_left(starts, w0 - BASELINE_S):bisect_left(starts, w0)]
    baseline = Profile(n=sum(p.n for _, p in before), guards=sum((Counter(p.guards) for _, p in before), Counter()))
    window = Window.from_epoch(w0, w1)
    found = run_checks(spec, profile, reference, window, baseline=baseline)
    return profile, found


def history_start(w0: float, w1: float) -> float:
    """How far back the monitor's verdict on a window reads: the guard baseline's hour, and
    the change detectors' trailing span (``telltale.detect.span_start``, six to seven hours)."""
    return min(w0 - BASELINE_S, float(span_start(w1)))


def findings_for(store: Store, project: str, spec: ServiceSpec, since: float, until: float, window_s: float) -> WindowedFindings:
    """Run the checks over each window of [since, until); raise ValueError on a bad span."""
    start, n = window_grid(since, until, window_s)
    reference = store.get_reference(project, spec.service)
    minutes = store.read_minutes(project, spec.service, history_start(start, start + window_s), until)  # one read for every window
    starts = [m for m, _ in minutes]
    out: list[Finding] = []
    used = 0
    for i in range(n):
        w0 = start + i * window_s
        profile, found = window_findings(spec, reference, minutes, starts, w0, min(w0 + window_s, until))
        if profile is not None:
            used += 1
            out.extend(found)
    return WindowedFindings(out, used)

