"""Rules that act: ``when`` a condition holds, ``then`` alert and/or change the mode.

A condition is one of three (``telltale.spec.policy.RuleCondition``):

- a finding of ``kind`` is open (at ``severity`` or worse, on ``feature`` if given) and
  has been for ``for``;
- an indicator passes ``above``/``below`` on checks of ``every`` (one minute by default):
  on every check during ``for``, or on ``failures`` of the last ``of`` checks, as Argo
  Rollouts' analysis counts them (a check without data neither fails nor passes);
- an SLO's burn-rate ``alert`` (``page`` or ``ticket``) fires.

Evaluation is a pure function of what the tick read (open findings, recent minute
profiles, SLO verdicts) and the time: the same inputs give the same verdicts.

>>> from telltale.spec.policy import Rule
>>> r = Rule.model_validate({"name": "burn", "when": {"slo": "errors"}, "then": ["rollback", "alert"]})
>>> v = evaluate(r, RuleInputs(now=600.0, findings=[], minutes=[], slo_alerts={"errors": {"page"}}))
>>> v.holds, v.reason
(True, "SLO 'errors' burn-rate page is firing")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telltale.indicators import Source, resolve
from telltale.policy.burn import MINUTE
from telltale.policy.sources import merged
from telltale.profile import Profile
from telltale.spec.policy import Rule, RuleCondition, format_duration
from telltale.types import Severity, StoredFinding, family_of


@dataclass(frozen=True, slots=True)
class RuleInputs:
    """What one tick read for one service."""

    now: float
    findings: Sequence[StoredFinding]  # open findings of the service
    minutes: Sequence[tuple[int, Profile]]  # recent minute profiles, oldest first
    slo_alerts: Mapping[str, set[str]] = field(default_factory=dict)  # SLO name -> {"page", "ticket"} firing
    slo_families: Mapping[str, str] = field(default_factory=dict)  # SLO name -> its indicator's family
    series: Mapping[Source, Sequence[tuple[int, Any, int]]] = field(default_factory=dict)  # other sources' recent minutes

    def rows(self, source: Source) -> Sequence[tuple[int, Any, int]]:
        """Recent (minute, data, records) of ``source`` (profiles come in ``minutes``)."""
        if source == "profile":
            return [(m, p, p.n) for m, p in self.minutes]
        return self.series.get(source, ())


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    rule: Rule
    holds: bool
    reason: str
    family: str
    severity: Severity
    incident: str | None = None


def lookback_s(rule: Rule) -> float:
    """How many seconds of minutes an indicator condition needs."""
    c = rule.when
    if c.indicator is None:
        return 0.0
    return c.every * _checks(c)[1]


def _checks(c: RuleCondition) -> tuple[int, int]:
    """(failures needed, checks looked at)."""
    if c.failures is not None and c.of is not None:
        return c.failures, c.of
    m = max(1, int((c.for_ or c.every) // c.every))
    return m, m


def evaluate(rule: Rule, inputs: RuleInputs) -> RuleVerdict:
    c = rule.when
    if c.kind is not None:
        return _finding(rule, c, inputs)
    if c.slo is not None:
        firing = c.alert in inputs.slo_alerts.get(c.slo, set())
        sev: Severity = "critical" if c.alert == "page" else "warning"
        reason = f"SLO {c.slo!r} burn-rate {c.alert} is {'firing' if firing else 'quiet'}"
        return RuleVerdict(rule, firing, reason, inputs.slo_families.get(c.slo, "platform"), sev)
    return _indicator(rule, c, inputs)


_WORSE = {"warning": ("warning", "critical"), "critical": ("critical",)}


def _finding(rule: Rule, c: RuleCondition, inputs: RuleInputs) -> RuleVerdict:
    family = family_of(c.kind)  # type: ignore[arg-type]
    need = c.for_ or 0.0
    hits = [f for f in inputs.findings
            if f.is_open and f.kind == c.kind and f.severity in _WORSE[c.severity]
            and (c.feature is None or f.feature == c.feature) and inputs.now - f.opened >= need]
    if not hits:
        return RuleVerdict(rule, False, f"no open {c.severity} {c.kind} finding", family, c.severity)
    f = min(hits, key=lambda f: (f.opened, f.id))
    lasted = f" for {format_duration(max(60.0, inputs.now - f.opened))}" if need else ""
    return RuleVerdict(rule, True, f"{f.kind} finding {f.id} open{lasted}: {f.latest.message}", family, f.severity,
                       incident=f.cause or f.id)


def _indicator(rule: Rule, c: RuleCondition, inputs: RuleInputs) -> RuleVerdict:
    assert c.indicator is not None  # an indicator condition (the caller checked)
    r = resolve(c.indicator, c.stage)
    need, of = _checks(c)
    end = int(inputs.now // MINUTE) * MINUTE
    every = int(c.every)
    rows = list(inputs.rows(r.indicator.source))
    failed, values = 0, []
    for i in range(of):
        hi, lo = end - i * every, end - (i + 1) * every
        v = r.value(merged(r.indicator.source, rows, lo, hi))
        values.append(v)
        if v is not None and (v > c.above if c.above is not None else v < c.below):  # type: ignore[operator]
            failed += 1
    bound = f"above {c.above:g}" if c.above is not None else f"below {c.below:g}"
    what = str(c.indicator) + (f" of stage {c.stage}" if c.stage else "")
    shown = ", ".join("no data" if v is None else f"{v:.4g}" for v in reversed(values))
    reason = f"{what} {bound} in {failed} of the last {of} checks of {format_duration(every)} (needs {need}): {shown}"
    return RuleVerdict(rule, failed >= need, reason, r.family, "critical")
