"""The readiness gate: what must be written down before a service launches (DESIGN.md 17, 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telltale.errors import SpecError, SpecProblem
from telltale.spec.load import _compose, _dotted, parse_spec
from telltale.spec.families import families_raised
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


def readiness_problems(spec: ServiceSpec, source: str = "telltale.yaml", lines: dict | None = None, data: Any = None) -> list[SpecProblem]:
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
    if not any(r.action in ("rollback", "fallback") for r in spec.rules):
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

