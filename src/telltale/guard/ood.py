"""An out-of-distribution score for one input, against a reference profile or the spec.

For each numeric field the reference gives a central interval (the 0.5% and 99.5%
quantiles of a reference profile, else the spec's range); a value inside scores 0, a
value outside scores its distance past the nearer end in units of the interval's width
(so 1.0 is "one whole reference width beyond the edge"). A categorical value never seen
in the reference (or not in the spec's categories) scores 1.0. The input's score is the
highest of its fields, and the reason names that field. Missing and null values are
the contract's business, not this score's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from telltale.spec.model import ServiceSpec

#: Score above which an input counts as out of distribution when the spec sets no
#: ``output.ood_max`` but the breaker trips on the OOD rate: one reference width outside.
DEFAULT_OOD_MAX = 1.0

_LO_Q, _HI_Q = 0.005, 0.995


class OODScorer:
    """Bounds compiled once; ``score(record)`` costs one pass over the compiled fields."""

    __slots__ = ("_numeric", "_categorical", "source")

    def __init__(self, spec: ServiceSpec, reference: Any = None) -> None:
        numeric: list[tuple[str, float, float, float]] = []
        categorical: list[tuple[str, frozenset[str]]] = []
        bounds = _from_reference(spec, reference) if reference is not None else {}
        self.source = "reference profile" if bounds else "spec"
        for name, f in spec.inputs.items():
            b = bounds.get(name)
            if b is None:
                if f.range is not None and f.range.min is not None and f.range.max is not None:
                    b = (f.range.min, f.range.max)
                elif f.categories is not None:
                    b = frozenset(f.categories)
            if isinstance(b, tuple):
                lo, hi = float(b[0]), float(b[1])
                width = hi - lo if hi > lo else max(abs(hi), 1.0)
                numeric.append((name, lo, hi, width))
            elif isinstance(b, frozenset):
                categorical.append((name, b))
        self._numeric = tuple(numeric)
        self._categorical = tuple(categorical)

    def score(self, record: Mapping[str, Any]) -> tuple[float, str]:
        """(score, why) where ``why`` names the field that scored highest ('' when 0)."""
        best, why = 0.0, ""
        for name, lo, hi, width in self._numeric:
            x = record.get(name)
            if x is None or x.__class__ is bool or not isinstance(x, (int, float)):
                continue
            if x < lo:
                s = (lo - x) / width
                if s > best:
                    best, why = s, f"{name}={x!r} is {s:.2g} widths below the {self.source} interval [{lo:g}, {hi:g}]"
            elif x > hi:
                s = (x - hi) / width
                if s > best:
                    best, why = s, f"{name}={x!r} is {s:.2g} widths above the {self.source} interval [{lo:g}, {hi:g}]"
        for name, seen in self._categorical:
            x = record.get(name)
            if x is not None and x not in seen and best < 1.0:
                best, why = 1.0, f"{name}={x!r} was never seen in the {self.source}"
        return (best if math.isfinite(best) else math.inf), why


def _from_reference(spec: ServiceSpec, reference: Any) -> dict[str, Any]:
    """Bounds per field from a ``telltale.profile.Profile`` or a plain mapping.

    A mapping gives ``{field: (lo, hi)}`` for numeric fields and ``{field: [categories]}``
    for categorical ones. A profile gives quantiles of its numeric summaries and the
    items of its categorical summaries when they are exact.
    """
    out: dict[str, Any] = {}
    fields = getattr(reference, "fields", None)
    if fields is None and isinstance(reference, Mapping):
        for name, b in reference.items():
            if isinstance(b, tuple) and len(b) == 2:
                out[name] = (float(b[0]), float(b[1]))
            else:
                out[name] = frozenset(b)
        return out
    for name in spec.inputs:
        col = fields.get(name) if fields is not None else None
        if col is None:
            continue
        num = getattr(col, "numeric", None)
        cat = getattr(col, "categorical", None)
        if num is not None and getattr(num, "count", None):
            out[name] = (float(num.quantile(_LO_Q)), float(num.quantile(_HI_Q)))
        elif cat is not None and getattr(cat, "exact", False):
            items = cat.items
            out[name] = frozenset(items() if callable(items) else items)
    return out
