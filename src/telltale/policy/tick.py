"""One pass of the policy over every service: SLO verdicts, rules, mode changes, alerts.

``tick(store, now)`` is what ``telltale serve`` runs every minute after the monitor. It
reads only what the store holds (minute profiles, stored findings, the control mode and
what the policy holds active), so any replica can run it and a restart loses nothing:
an alert fires once when its condition starts and resolves once when it ends; a rule
changes the mode once when its condition starts (a person can override it afterwards),
and goes back to ``normal`` after ``return_after`` of calm only if the mode is still the
one it set. Every mode change is written with its audit row in one transaction.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from telltale.control import STRENGTH, AuditEntry, ControlState
from telltale.indicators import Source, parse_metric
from telltale.policy import sources
from telltale.policy.burn import MINUTE
from telltale.policy.rules import RuleInputs, RuleVerdict, evaluate, lookback_s
from telltale.policy.slo import SLOStatus, status_of
from telltale.spec.model import ServiceSpec
from telltale.spec.policy import format_duration
from telltale.store._audit import Active
from telltale.types import Alert

log = logging.getLogger(__name__)

Notify = Callable[[str, Alert], None]

#: Alerts raised while no outbox (``telltale.alerts``) is installed, newest last.
UNSENT: deque[tuple[str, Alert]] = deque(maxlen=1000)


def default_notify(store: Any) -> Notify:
    """``telltale.alerts.enqueue`` (the durable outbox) when it is installed, else ``UNSENT``."""
    try:
        from telltale.alerts import enqueue
    except ImportError:
        def keep(project: str, alert: Alert) -> None:
            log.warning("no alert outbox installed (telltale.alerts): %s %s %s", project, alert.state, alert.title)
            UNSENT.append((project, alert))
        return keep
    return lambda project, alert: enqueue(store, project, alert)


@dataclass(slots=True)
class TickResult:
    """What one tick did: alerts handed to ``notify``, mode changes, SLO statuses, rule verdicts."""

    alerts: list[Alert] = field(default_factory=list)
    changes: list[AuditEntry] = field(default_factory=list)
    slos: list[SLOStatus] = field(default_factory=list)
    rules: list[RuleVerdict] = field(default_factory=list)


def tick(store: Any, now: float, *, notify: Notify | None = None) -> TickResult:
    """Run the policy for every registered service of every project."""
    send = notify or default_notify(store)
    out = TickResult()
    for project, spec in store.policy_targets():
        try:
            r = tick_service(store, project, spec, now, notify=send)
        except Exception:  # one broken service must not stop the others
            log.exception("policy tick failed for %s/%s", project, spec.service)
            continue
        out.alerts += r.alerts
        out.changes += r.changes
        out.slos += r.slos
        out.rules += r.rules
    return out


def tick_service(store: Any, project: str, spec: ServiceSpec, now: float, *, notify: Notify) -> TickResult:
    service = spec.service
    slos = status_of(store, project, spec, now)
    desired: dict[str, Alert] = {}
    for s in slos:
        for a in _slo_alerts(service, s, now):
            desired[a.fingerprint] = a
    findings = store.findings(project, service, state="open") if hasattr(store, "findings") else []
    back: dict[Source, float] = {}
    for r in spec.rules:
        if r.when.indicator is not None and lookback_s(r):
            src = parse_metric(r.when.indicator, r.when.stage)
            if src is not None:
                back[src.indicator.source] = max(back.get(src.indicator.source, 0.0), lookback_s(r))
    end = int(now // MINUTE) * MINUTE
    minutes = store.read_minutes(project, service, end - back["profile"], end) if "profile" in back else []
    series: dict[Source, sources.Rows] = {src: sources.read(store, project, spec, src, end - span, end) for src, span in back.items() if src != "profile"}
    inputs = RuleInputs(now, findings, minutes,
                        {s.compiled.name: {a for a, on in (("page", s.verdict.page), ("ticket", s.verdict.ticket)) if on} for s in slos},
                        {s.compiled.name: s.compiled.family for s in slos}, series)
    verdicts = [evaluate(rule, inputs) for rule in spec.rules]
    active = store.policy_active(project, service)
    keep: dict[str, Active] = {}
    changes: list[AuditEntry] = []
    for v in verdicts:
        changes += _act(store, project, service, v, active, keep, now)
        if v.holds and "alert" in v.rule.then:
            a = _rule_alert(service, v, now)
            desired[a.fingerprint] = a
    sent: list[Alert] = []
    for fp, a in desired.items():
        held = active.get(fp)
        if held is None:
            sent.append(a)
            keep[fp] = Active(fp, service, now, _dump(a))
        else:
            keep[fp] = held
    for fp, held in active.items():
        if fp.startswith("alert/") and fp not in desired:
            fired = _load(held.payload)
            sent.append(replace(fired, state="resolved", ends_at=now,
                                message=f"resolved after {format_duration(max(MINUTE, now - held.since))}: {fired.message}"))
    gone = [fp for fp in active if fp not in keep]
    store.set_policy_active(project, [k for fp, k in keep.items() if active.get(fp) != k], gone)
    for a in sent:
        notify(project, a)
    return TickResult(sent, changes, slos, verdicts)


def _act(store: Any, project: str, service: str, v: RuleVerdict, active: dict[str, Active], keep: dict[str, Active],
         now: float) -> list[AuditEntry]:
    """The rule's state machine: act on the rising edge, return to normal after calm."""
    rule, fp = v.rule, f"rule/{service}/{v.rule.name}"
    actor = f"rule:{rule.name}"
    held = active.get(fp)
    state = json.loads(held.payload) if held is not None else None
    out: list[AuditEntry] = []
    if v.holds:
        if held is None and rule.mode is not None:
            current = store.get_control(project, service)
            if STRENGTH[rule.mode] > STRENGTH[current.mode]:
                e = store.set_control(project, service, ControlState(rule.mode, f"rule {rule.name}: {v.reason}", now), actor=actor)
                out += [e] if e is not None else []
        keep[fp] = Active(fp, service, held.since if held else now, json.dumps({"cleared": None}))
        return out
    if held is None:
        return out
    if rule.return_after is None or rule.mode is None:
        return out  # dropped: the mode (if any) stays until a person changes it
    assert state is not None  # parsed from held, which is not None here
    cleared = state.get("cleared") or now
    if now - cleared < rule.return_after:
        keep[fp] = Active(fp, service, held.since, json.dumps({"cleared": cleared}))
        return out
    current = store.get_control(project, service)
    last = store.control_audit(project, service, limit=1)
    if current.mode == rule.mode and last and last[-1].actor == actor:
        why = f"rule {rule.name}: clear for {format_duration(now - cleared)} (return_after {format_duration(rule.return_after)})"
        e = store.set_control(project, service, ControlState("normal", why, now), actor=actor)
        out += [e] if e is not None else []
    return out


def _slo_alerts(service: str, s: SLOStatus, now: float) -> list[Alert]:
    c, v = s.compiled, s.verdict
    out = []
    labels = {"slo": c.name, "indicator": c.slo.indicator}
    left = v.budget_remaining
    budget = f"{left:.0%} of the {format_duration(c.slo.period)} error budget left" if left is not None else "no events yet"
    for alert, sev in (("page", "critical"), ("ticket", "warning")):
        burning = [b for b in v.burns if b.firing and b.window.alert == alert]
        if not burning:
            continue
        b = max(burning, key=lambda b: b.burn_long / b.threshold)
        msg = (f"{c.slo.indicator} burns the error budget {b.burn_long:.1f}x over {format_duration(b.window.long_s)} and "
               f"{b.burn_short:.1f}x over {format_duration(b.window.short_s)} (threshold {b.threshold:.3g}x, objective "
               f"{c.objective:g}); {budget}")
        out.append(Alert(f"alert/{service}/slo/{c.name}/{alert}", service, c.family, sev, "firing",  # type: ignore[arg-type]
                         f"{service}: SLO {c.name} burn rate ({alert})", msg, f"slo:{c.name}", now,
                         labels={**labels, "alert": alert}))
    if v.no_data:
        msg = (f"no {c.slo.indicator} events for {format_duration(c.slo.no_data_after)}: the data stopped arriving "
               f"(or the indicator is not recorded), so the SLO cannot be judged")
        out.append(Alert(f"alert/{service}/slo/{c.name}/no_data", service, c.family, "warning", "firing",
                         f"{service}: SLO {c.name} has no data", msg, f"slo:{c.name}", now,
                         labels={**labels, "alert": "no_data"}))
    return out


def _rule_alert(service: str, v: RuleVerdict, now: float) -> Alert:
    acts = [a for a in v.rule.then if a != "alert"]
    did = f"; then {', '.join(acts)}" if acts else ""
    return Alert(f"alert/{service}/rule/{v.rule.name}", service, v.family, v.severity, "firing",
                 f"{service}: rule {v.rule.name}", f"{v.reason}{did}", f"rule:{v.rule.name}", now,
                 incident=v.incident, labels={"rule": v.rule.name})


def _dump(a: Alert) -> str:
    return json.dumps(asdict(a), sort_keys=True)


def _load(text: str) -> Alert:
    return Alert(**json.loads(text))
