"""Drift between two :class:`telltale.profile.Profile` objects: what the server runs per window.

Profiles hold sketches, not rows, so the statistics here are the sketch forms of the same
ones the report computes exactly: Wasserstein from the KLL quantile functions, KS from
the KLL CDFs (its p-value discounted by the sketches' rank error), PSI, JS and chi2 over
reference-quantile bins and frequent-item counts. Multivariate drift needs joint rows
and is not available from profiles: the report runs it on the raw data. A text field is
tested through its statistics (length, character-class shares) and a vector field through
its mean embedding and norms; their classifiers need rows too, so only the report runs them.
"""

from __future__ import annotations

from typing import Any

from telltale.drift.distribution import CategoricalDist, Dist, NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.methods import family_alpha
from telltale.drift.vector import mean_shift
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

#: The column a profile keeps the model's output in when the spec names no prediction column.
PREDICTION_COLUMN = "__prediction__"


def column_profile_dist(col: Any, numeric: bool) -> Dist:
    """A profile's column summary (``telltale.profile.column.ColumnProfile``) as a distribution."""
    missing = int(col.nulls + col.missing)
    if numeric:
        s = col.numeric
        if s is None or s.count == 0:
            return NumericDist(n=0, missing=missing + int(col.inf), mean=float("nan"), std=float("nan"))
        return NumericDist.from_sketch(s.kll, missing + int(col.inf), mean=s.mean, std=s.std)
    c = col.categorical
    if c is None or c.count == 0:
        return CategoricalDist(counts={}, missing=missing)
    items = c.items()
    return CategoricalDist(counts=items, missing=missing, other=max(int(c.count) - sum(items.values()), 0), exact=c.exact)


def drift_results(spec: ServiceSpec, current: Any, reference: Any) -> list[DriftResult]:
    """Every per-field drift check between two profiles (those that passed too)."""
    cur_fields, ref_fields = current.fields, reference.fields
    plan: list[tuple[str, Any, Any, bool, dict[str, Any]]] = []  # (label, ref, cur, numeric, options)
    derived: list[DriftResult] = []
    for name, f in spec.inputs.items():
        if f.type in ("text", "vector"):
            plan.extend(_derived_plan(name, f.type, cur_fields, ref_fields))
            if f.type == "vector" and name in cur_fields and name in ref_fields:
                rv, cv = ref_fields[name].vector, cur_fields[name].vector
                if rv is not None and cv is not None and rv.dim == cv.dim:
                    derived.append(mean_shift(name, rv, cv))
            continue
        if name not in cur_fields or name not in ref_fields or f.type == "string" or f.identifier:
            continue
        rc, cc = ref_fields[name], cur_fields[name]
        if _observed(rc) and _observed(cc) and rc.kind != cc.kind:
            continue  # numbers on one side, text on the other: the type check's finding, not drift
        d = f.drift
        plan.append((name, rc, cc, _numeric(rc, cc, f.type), {"method": d.method if d else "auto", "threshold": d.threshold if d else None}))
    for pred in dict.fromkeys([spec.prediction or PREDICTION_COLUMN, PREDICTION_COLUMN]):
        if pred in cur_fields and pred in ref_fields:
            rc, cc = ref_fields[pred], cur_fields[pred]
            numeric = _numeric(rc, cc, "float" if spec.output.type in ("float", "int") else "category")
            plan.append((spec.prediction or PREDICTION_COLUMN, rc, cc, numeric, {"kind": "prediction_drift"}))
            break
    alpha = family_alpha(len(plan) + len(derived))
    return [compare(label, column_profile_dist(rc, numeric), column_profile_dist(cc, numeric), alpha=alpha, **opts)
            for label, rc, cc, numeric, opts in plan] + derived


def _derived_plan(name: str, typ: str, cur_fields: dict[str, Any], ref_fields: dict[str, Any]) -> list[tuple[str, Any, Any, bool, dict[str, Any]]]:
    """A text field's statistics (length, character-class shares) or a vector field's norm,
    as numeric fields labelled ``review:length``, ``emb:norm``."""
    from telltale.profile.text import TEXT_STATS, text_column
    from telltale.profile.vectors import norm_column

    columns = [(f"{name}:{s}", text_column(name, s)) for s in TEXT_STATS] if typ == "text" else [(f"{name}:norm", norm_column(name))]
    return [(label, ref_fields[col], cur_fields[col], True, {}) for label, col in columns if col in ref_fields and col in cur_fields]


def drift_findings(spec: ServiceSpec, current: Any, reference: Any, window: Window | None) -> list[Finding]:
    """Drift and prediction-drift findings of ``current`` against ``reference`` (both Profiles)."""
    if reference is None or current is None:
        return []
    return [f for r in drift_results(spec, current, reference) if (f := r.to_finding(window)) is not None]


def _observed(col: Any) -> bool:
    return bool((col.numeric is not None and col.numeric.count) or (col.categorical is not None and col.categorical.count))


def _numeric(ref_col: Any, cur_col: Any, declared: str) -> bool:
    if declared not in ("float", "int", "timestamp"):
        return False
    return bool(ref_col.kind == "numeric" and cur_col.kind == "numeric")
