"""``duplicates``: the share of rows whose inputs exactly repeat another row's.

Read off the profile's distinct counter over whole-row hashes (1 - distinct/rows), so it
costs nothing per window; the estimate's noise is the sketch's error (under 1% of n).

Defaults, and why: against a reference, critical when the duplicate share is at least
10 points higher and twice the reference's (a replayed or double-joined batch, which
skews every other statistic), warning at 3 points and 1.5 times (4x the sketch's
noise). Without a reference telltale cannot know how often rows repeat naturally (a
service that re-scores the same order every minute repeats by design), so it only warns,
from 10%. Limitation: duplicates grow naturally with n when
rows are drawn from few distinct values; comparing windows far larger than the
reference can then warn.
"""

from __future__ import annotations

from telltale.checks._common import pct
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

MIN_ROWS = 20
REF_CRITICAL_EXCESS = 0.10
REF_WARNING_EXCESS = 0.03
NOREF_WARNING = 0.10


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    if current.n < MIN_ROWS:
        return []
    d = current.duplicate_share
    if reference is not None and reference.n >= MIN_ROWS:
        base = reference.duplicate_share
        against = f"the reference's {pct(base)}"
        severity: Severity
        if d - base >= REF_CRITICAL_EXCESS and d >= 2 * base:
            severity, threshold = "critical", base + REF_CRITICAL_EXCESS
        elif d - base >= REF_WARNING_EXCESS and d >= 1.5 * base:
            severity, threshold = "warning", base + REF_WARNING_EXCESS
        else:
            return []
    else:
        against = "no reference"
        if d >= NOREF_WARNING:
            severity, threshold = "warning", NOREF_WARNING
        else:
            return []
    return [Finding(
        kind="duplicates", feature=None, severity=severity, statistic="duplicate_share", value=d, threshold=threshold,
        window=window,
        message=f"{pct(d)} of {current.n} rows repeat another row's inputs exactly (against {against}): "
                f"look for a replayed or double-joined batch upstream and deduplicate before scoring",
    )]
