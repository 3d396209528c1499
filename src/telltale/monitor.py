"""The monitor: findings per window from stored minute profiles.

Sits between the store and whatever shows or acts on findings (the server's findings
route, ``telltale findings``, the demo), so all of them see the same verdicts.

Windows start on a minute boundary (profiles are per minute) and step by ``window_s``;
each is the merge of its minute profiles, checked by ``telltale.checks.run_checks``
against the service's reference profile, and its guard trigger rates against the hour
before it. Windows without records are skipped.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from telltale.checks import run_checks
from telltale.profile import Profile
from telltale.spec import ServiceSpec
from telltale.store import Store
from telltale.types import Finding, Window

#: What a window's guard trigger rates are compared with: the hour before it. Long enough
#: to hold a few hundred calls at modest traffic, short enough to follow a daily cycle.
BASELINE_S = 3600.0

#: A request may ask for at most this many windows (a week of 5-minute windows is 2016).
MAX_WINDOWS = 5000


@dataclass(frozen=True, slots=True)
class WindowedFindings:
    findings: list[Finding]
    windows: int


def findings_for(store: Store, project: str, spec: ServiceSpec, since: float, until: float, window_s: float) -> WindowedFindings:
    """Run the checks over each window of [since, until); raise ValueError on a bad span."""
    if not window_s >= 60:
        raise ValueError(f"window must be at least 60 seconds (profiles are per minute), got {window_s}")
    if not until > since:
        raise ValueError(f"until ({until}) must be after since ({since})")
    start = math.floor(since / 60) * 60
    n = math.ceil((until - start) / window_s)
    if n > MAX_WINDOWS:
        raise ValueError(f"{n} windows of {window_s:g}s between since and until; the most is {MAX_WINDOWS}: use a larger window or a shorter span")
    reference = store.get_reference(project, spec.service)
    minutes = store.read_minutes(project, spec.service, start - BASELINE_S, until)  # one read for every window
    starts = [m for m, _ in minutes]
    out: list[Finding] = []
    used = 0
    for i in range(n):
        w0 = start + i * window_s
        w1 = min(w0 + window_s, until)
        profile = Profile.merge_all(p for _, p in minutes[bisect_left(starts, w0):bisect_left(starts, w1)])
        if profile is None:
            continue
        used += 1
        before = minutes[bisect_left(starts, w0 - BASELINE_S):bisect_left(starts, w0)]
        baseline = Profile(n=sum(p.n for _, p in before), guards=sum((Counter(p.guards) for _, p in before), Counter()))
        out.extend(run_checks(spec, profile, reference, Window.from_epoch(w0, w1), baseline=baseline))
    return WindowedFindings(out, used)

