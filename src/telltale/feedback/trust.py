"""``trust``: how people treat the output, per window and per actor, against the week before.

Override, ignore and correction rates are shares of the feedback given in a window (by
feedback time: trust is about what people do now; counted per whole hour, so a shorter
window is judged on the hours it touches); a flag's rate (``label:
{hallucination: true}``) is its true share among the feedback that gave it. A rate is
flagged when it rose by at least ``trust.min_change`` over the reference period (the
``trust.baseline_s`` before the window, a week by default: long enough to hold a weekly
cycle of use, short enough to follow a product change) and a two-proportion z test puts
the rise beyond ``trust.z`` standard errors, with ``trust.min_feedback`` events on each
side. The same test runs per actor, so a team that stopped using the output shows even
when the others did not. Critical when the rise is twice both margins.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telltale.feedback.counts import TrustCounts
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

if TYPE_CHECKING:
    from telltale.store import Store

HOUR = 3600.0
#: The actions whose rise means falling trust.
WATCHED = ("overridden", "ignored", "corrected")
_RATE = {"overridden": "override_rate", "ignored": "ignore_rate", "corrected": "correction_rate"}


@dataclass(frozen=True, slots=True)
class WindowTrust:
    window: Window
    overall: TrustCounts
    by_actor: dict[str, TrustCounts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window.to_dict(), **rates(self.overall),
                "actors": {a or "(none)": rates(c) for a, c in sorted(self.by_actor.items())}}


def rates(c: TrustCounts) -> dict[str, Any]:
    n = c.total
    out: dict[str, Any] = {"feedback": n}
    for action in ("accepted", *WATCHED):
        out[_RATE.get(action, "accept_rate")] = c.actions.get(action, 0) / n if n else None
    out["flags"] = {k: {"rate": t / g if g else None, "n": g} for k, (t, g) in sorted(c.flags.items())}
    return out


def hours(since: float, until: float) -> tuple[float, float]:
    """The whole hours that [since, until) touches."""
    return math.floor(since / HOUR) * HOUR, math.ceil(until / HOUR) * HOUR


def window_trust(store: Store, project: str, service: str, since: float, until: float) -> WindowTrust:
    """Trust counts of the feedback given in the hours [since, until) touches."""
    since, until = hours(since, until)
    overall = TrustCounts()
    by_actor: dict[str, TrustCounts] = defaultdict(TrustCounts)
    for _, actor, c in store.read_trust_hours(project, service, since, until):
        overall = overall.merge(c)
        by_actor[actor] = by_actor[actor].merge(c)
    return WindowTrust(Window.from_epoch(since, until), overall, {a: c for a, c in by_actor.items() if c.total})


def trust_windows(store: Store, project: str, service: str, since: float, until: float, window_s: float) -> list[WindowTrust]:
    if not (window_s >= HOUR and window_s % HOUR == 0):
        raise ValueError(f"trust window must be a whole number of hours (counts are per hour), got {window_s:g} s")
    since, until = hours(since, until)
    if not until > since or (until - since) / window_s > 5000:
        raise ValueError(f"since/until must span 1 to 5000 windows of {window_s:g}s")
    rows = store.read_trust_hours(project, service, since, until)
    out = []
    t = since
    while t < until:
        w1 = min(t + window_s, until)
        overall = TrustCounts()
        by_actor: defaultdict[str, TrustCounts] = defaultdict(TrustCounts)
        for m, actor, c in rows:
            if t <= m < w1:
                overall = overall.merge(c)
                by_actor[actor] = by_actor[actor].merge(c)
        if overall.total:
            out.append(WindowTrust(Window.from_epoch(t, w1), overall, {a: c for a, c in by_actor.items() if c.total}))
        t += window_s
    return out


def trust_findings(store: Store, project: str, spec: ServiceSpec, window: Window) -> list[Finding]:
    """Trust findings for feedback given in ``window``, against the period before it."""
    w0, w1 = hours(window.start.timestamp(), window.end.timestamp())
    current = window_trust(store, project, spec.service, w0, w1)
    reference = window_trust(store, project, spec.service, w0 - spec.trust.baseline_s, w0)
    return check(spec, current, reference)


def check(spec: ServiceSpec, current: WindowTrust, reference: WindowTrust) -> list[Finding]:
    out = _compare(spec, current.overall, reference.overall, current.window, None)
    for actor, c in sorted(current.by_actor.items()):
        if actor and actor in reference.by_actor and len(current.by_actor) > 1:
            out += _compare(spec, c, reference.by_actor[actor], current.window, actor)
    return out


def _compare(spec: ServiceSpec, cur: TrustCounts, ref: TrustCounts, window: Window, actor: str | None) -> list[Finding]:
    s = spec.trust
    tests: list[tuple[str, str, int, int, int, int]] = []
    for action in WATCHED:
        tests.append((_RATE[action], f"{action} decisions", cur.actions.get(action, 0), cur.total, ref.actions.get(action, 0), ref.total))
    for name, (t, g) in sorted(cur.flags.items()):
        rt, rg = ref.flags.get(name, (0, 0))
        tests.append((f"flag:{name}", f"feedback flagged {name}", t, g, rt, rg))
    out = []
    who = f" for actor {actor}" if actor else ""
    for stat, what, k1, n1, k0, n0 in tests:
        if n1 < s.min_feedback or n0 < s.min_feedback:
            continue
        p1, p0 = k1 / n1, k0 / n0
        pooled = (k1 + k0) / (n1 + n0)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (p1 - p0) / se if se > 0 else 0.0
        if p1 - p0 < s.min_change or z < s.z:
            continue
        severity: Severity = "critical" if p1 - p0 >= 2 * s.min_change and z >= 2 * s.z else "warning"
        feature = f"{stat}:{actor}" if actor else stat
        out.append(Finding(
            kind="trust", feature=feature, severity=severity, statistic=stat, value=p1, threshold=p0 + s.min_change,
            window=window,
            message=f"{what}{who} rose to {p1:.0%} of {n1} feedback events from {p0:.0%} of {n0} in the reference period "
                    f"(z = {z:.1f}): people are trusting the output less; look at what they changed and why",
        ))
    return out


def trust_report(store: Store, project: str, spec: ServiceSpec, since: float, until: float, window_s: float) -> dict[str, Any]:
    """Each window of feedback time with its rates (overall and per actor) and findings."""
    out = []
    for w in trust_windows(store, project, spec.service, since, until, window_s):
        s = w.window.start.timestamp()
        ref = window_trust(store, project, spec.service, s - spec.trust.baseline_s, s)
        out.append({**w.to_dict(), "findings": [f.to_dict() for f in check(spec, w, ref)]})
    return {"windows": out, "since": since, "until": until, "window": window_s}
