"""The readiness gate: what must be written down before a service launches (DESIGN.md 17, 18)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from telltale.errors import SpecError, SpecProblem
from telltale.spec.families import families_raised
from telltale.spec.load import _compose, _dotted, parse_spec
from telltale.spec.model import BLANK, ServiceSpec


def check_spec(path: str | Path) -> list[SpecProblem]:
    """Every problem that keeps the spec at ``path`` from launch; empty when ready."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [SpecProblem(str(path), None, "", "file not found; run `telltale init` to write one")]
    try:
        spec = parse_spec(text, str(path))
    except SpecError as e:
        return e.problems
    data, lines, _ = _compose(text, str(path))
    return readiness_problems(spec, str(path), lines, data)


def readiness_problems(spec: ServiceSpec, source: str = "telltale.yaml", lines: dict[tuple[Any, ...], int] | None = None, data: Any = None) -> list[SpecProblem]:
    lines = lines or {}
    out: list[SpecProblem] = []

    def at(*path: Any) -> int | None:
        return lines.get(tuple(path))  # a key that is absent has no line to point at

    for path in _blanks(data, ()):
        out.append(SpecProblem(source, at(*path), _dotted(path), f"is still blank ({BLANK}): a person must decide this before launch"))
    if not spec.owners.data and not spec.owners.model and not spec.owners.platform:
        out.append(SpecProblem(source, at("owners"), "owners", "no owner for data, model or platform signals: alerts would reach nobody; name at least one"))
    if not spec.slos:
        out.append(SpecProblem(source, at("slos"), "slos", "no SLOs: write the latency, fallback-rate or accuracy objectives this service must meet"))
    out += _policy_problems(spec, source, lines, data)
    if not any(r.mode in ("rollback", "fallback") for r in spec.rules):
        out.append(SpecProblem(source, at("rules"), "rules", "no rollback or fallback rule: write when to roll back before launch, not during an incident"))
    if not spec.fallback:
        out.append(SpecProblem(source, at("fallback"), "fallback", "no fallback chain: say what is served when the model cannot be (rules, a default, abstain or review)"))
    out.extend(route_problems(spec, source, at))
    return out


def route_problems(spec: ServiceSpec, source: str, at: Any) -> list[SpecProblem]:
    """A family the rules or SLOs can raise needs an owner and a route with a receiver."""
    out: list[SpecProblem] = []
    for family, paths in families_raised(spec).items():
        first = paths[0]
        raised_by = f"{_dotted(first)} raises {family} alerts"
        if not spec.owners.of(family):
            out.append(SpecProblem(source, at(*first), f"owners.{family}",
                                   f"{raised_by} but no one owns the {family} family: name its owner"))
        if not spec.alerting.routes.get(family):
            out.append(SpecProblem(source, at(*first), f"alerting.routes.{family}",
                                   f"{raised_by} but they are routed nowhere: list a receiver under alerting.routes.{family}"))
    return out


def _blanks(node: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if isinstance(node, str):
        return [path] if node.strip().startswith(BLANK) else []
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _blanks(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _blanks(v, (*path, i))]
    return []



#: Finding kinds the monitor computes outside ``telltale.checks.CHECKS``: the guards'
#: trigger rates and drift on profiles. A kind in neither is one nothing raises yet.
_OTHER_MONITORED = ("guard", "drift", "prediction_drift", "latency", "errors", "cost",
                    "performance", "estimated_performance", "calibration", "trust")  # the monitor tick's other sources


def monitored_kinds() -> list[str]:
    """The finding kinds something computes today, so a rule on them can fire."""
    from telltale.checks import CHECKS

    return sorted({*CHECKS, *_OTHER_MONITORED})


def _policy_problems(spec: ServiceSpec, source: str, lines: dict[tuple[Any, ...], int], data: Any) -> list[SpecProblem]:
    """SLOs, rules and windows that nothing computes (issue 7 item 9): refused, not certified."""
    from telltale.indicators import resolve
    from telltale.policy.slo import compile_slo

    out: list[SpecProblem] = []

    def problem(path: tuple[Any, ...], names: tuple[str, ...], message: str) -> None:
        item = _get(data, path)
        key = next((n for n in names if isinstance(item, dict) and n in item), names[0])
        full = (*path, key)
        value = item.get(key) if isinstance(item, dict) else None
        if value is not None:
            message = f"{value!r} {message}" if message.startswith(("is ", "names ")) else f"{value!r}: {message}"
        out.append(SpecProblem(source, lines.get(full) or lines.get(path), _dotted(full), message))

    kinds = monitored_kinds()

    def uncomputed_kind(name: str, stage: str | None) -> str | None:
        kind = resolve(name, stage).kind
        if kind is None or kind in kinds:
            return None
        return f"names finding kind {kind!r}, which nothing computes yet, so its statistic never arrives; one of {', '.join(kinds)}"

    for i, slo in enumerate(spec.slos):
        try:
            why = uncomputed_kind(slo.indicator, slo.stage)
        except ValueError as e:
            problem(("slos", i), ("indicator", "metric"), _after_value(str(e)))
            continue
        if why is not None:
            problem(("slos", i), ("indicator", "metric"), why)
            continue
        try:
            compile_slo(slo)
        except ValueError as e:
            msg = str(e).split(": ", 1)[-1]
            names = ("period", "window") if "period" in msg else ("max", "objective", "min")
            problem(("slos", i), names, msg)
    slos = {s.name for s in spec.slos}
    for i, rule in enumerate(spec.rules):
        c = rule.when
        if c.kind is not None and c.kind not in kinds:
            problem(("rules", i, "when"), ("kind",), f"is a finding kind nothing computes yet, so this rule could never act; "
                                                     f"one of {', '.join(kinds)}")
        if c.indicator is not None:
            try:
                why = uncomputed_kind(c.indicator, c.stage)
            except ValueError as e:
                problem(("rules", i, "when"), ("indicator",), _after_value(str(e)))
                continue
            if why is not None:
                problem(("rules", i, "when"), ("indicator",), why)
        if c.slo is not None and c.slo not in slos:
            problem(("rules", i, "when"), ("slo",), f"names no SLO of this spec; one of {', '.join(sorted(slos)) or '(none: add slos)'}")
    return out


def _after_value(message: str) -> str:
    """"indicator 'x' is not one ...; one of ..." without the part naming the value again."""
    return re.sub(r"^(?:indicator|stage) '[^']*'(?:: | )", "", message)


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node
