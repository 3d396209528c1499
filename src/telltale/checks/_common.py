"""Helpers shared by the data-quality checks: number formatting and simple significance.

Every check reads profiles only (never raw rows), so it costs the same for ten rows or
ten million and can run per window inside the server.
"""

from __future__ import annotations

import math

from telltale.profile import ColumnProfile, Profile

NUMERIC_TYPES = ("float", "int")


def fmt(x: float | None) -> str:
    """A number as a person would write it in a message: 540000, 7200, 0.013, 1.5e+09."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return str(x)
    ax = abs(x)
    if ax >= 1e9:
        return f"{x:.3g}"
    if ax >= 100 or float(x).is_integer():
        return str(int(round(x)))
    return f"{x:.3g}"


def pct(share: float) -> str:
    """A share as a percentage with enough digits to be nonzero: 12%, 1.5%, 0.03%."""
    p = 100.0 * share
    if p == 0:
        return "0%"
    if p >= 10:
        return f"{p:.0f}%"
    if p >= 1:
        return f"{p:.1f}%"
    return f"{p:.2g}%"


def z_excess(current: float, n: int, baseline: float, n_ref: int | None = None) -> float:
    """How many standard errors the share ``current`` (of ``n``) sits above ``baseline``.

    A two-proportion z score when the baseline is itself estimated from ``n_ref`` rows,
    a one-sample score otherwise. The baseline share is floored at 1/(2n) so a clean
    reference (0 nulls) does not make a single null infinitely significant.
    """
    if n <= 0:
        return 0.0
    p0 = max(baseline, 0.5 / n)
    var = p0 * (1 - p0) / n
    if n_ref:
        var += p0 * (1 - p0) / n_ref
    return (current - baseline) / math.sqrt(var) if var > 0 else 0.0


def input_column(profile: Profile | None, name: str) -> ColumnProfile | None:
    return profile.fields.get(name) if profile is not None else None
