"""A profile as plain JSON-ready numbers, for dashboards, the CLI and debugging."""

from __future__ import annotations

import math
from typing import Any

from telltale.profile.column import ColumnProfile

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_TOP = 10


def describe_column(col: ColumnProfile) -> dict[str, Any]:
    """Counts, shares, numeric moments and quantiles, and the most frequent values."""
    out: dict[str, Any] = {
        "declared": col.declared, "rows": col.rows, "count": col.count, "missing": col.missing, "nulls": col.nulls,
        "null_share": col.null_share, "nan": col.nan, "inf": col.inf, "type_mismatches": col.mismatches,
        "below_range": col.below, "above_range": col.above, "unseen_categories": col.unseen,
        "distinct": round(col.distinct_estimate, 1),
    }
    num = col.numeric
    if num is not None and num.count:
        out["numeric"] = {
            "count": num.count, "min": num.min, "max": num.max, "mean": _finite(num.mean), "std": _finite(num.std),
            "quantiles": {str(q): _finite(v) for q, v in zip(_QUANTILES, num.quantiles(_QUANTILES).tolist())},
        }
    cat = col.categorical
    if cat is not None and cat.count:
        items = list(cat.items().items())[:_TOP]
        out["categorical"] = {"count": cat.count, "exact": cat.exact, "top": [{"value": k, "count": v} for k, v in items]}
    return out


def describe(profile: Any) -> dict[str, Any]:
    return {
        "n": profile.n,
        "duplicate_share": profile.duplicate_share,
        "sources": dict(profile.sources),
        "violations": [{"field": f, "kind": k, "count": c} for (f, k), c in sorted(profile.violations.items())],
        "fields": {name: describe_column(col) for name, col in sorted(profile.fields.items())},
    }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
