"""Unit names: column-name suffixes, plural names for messages, and the factors between
units of one dimension (from the spec's ``UNITS`` vocabulary).

Used by the ``unit`` check to name a suspected change ("looks like milliseconds") and by
``telltale init`` to read a unit off a column name (``prep_time_s`` is in seconds).
"""

from __future__ import annotations

import math

from telltale.spec.model import UNITS

#: Column-name suffixes (after the last underscore) and the unit they say.
#: Ambiguous ones are left out on purpose: ``_m`` (metres or minutes), ``_d``, ``_t``.
SUFFIXES: dict[str, str] = {
    "ms": "ms", "millis": "ms", "msec": "ms",
    "s": "s", "sec": "s", "secs": "s", "seconds": "s",
    "min": "min", "mins": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hours": "h",
    "days": "days", "weeks": "weeks", "wk": "weeks", "months": "months", "mo": "months",
    "years": "years", "yrs": "years",
    "mm": "mm", "cm": "cm", "meters": "m", "metres": "m", "km": "km", "miles": "miles", "mi": "miles", "ft": "ft",
    "g": "g", "grams": "g", "kg": "kg", "lb": "lb", "lbs": "lb",
    "pct": "pct", "percent": "pct", "frac": "fraction", "fraction": "fraction", "share": "fraction", "bps": "bps",
    "cents": "cents", "usd": "usd", "eur": "eur",
    "bytes": "bytes", "kb": "kb", "mb": "mb", "gb": "gb",
}

NAMES: dict[str, str] = {
    "ms": "milliseconds", "s": "seconds", "min": "minutes", "h": "hours", "days": "days", "weeks": "weeks",
    "months": "months", "years": "years", "mm": "millimetres", "cm": "centimetres", "m": "metres",
    "km": "kilometres", "miles": "miles", "ft": "feet", "g": "grams", "kg": "kilograms", "lb": "pounds",
    "fraction": "a fraction", "pct": "a percentage", "bps": "basis points", "cents": "cents", "usd": "dollars",
    "eur": "euros", "bytes": "bytes", "kb": "kilobytes", "mb": "megabytes", "gb": "gigabytes",
}


def unit_from_name(column: str) -> str | None:
    """The unit a column name declares by its suffix (``prep_time_s`` -> ``s``), if any."""
    lower = column.lower()
    if "_" not in lower:
        return None
    return SUFFIXES.get(lower.rsplit("_", 1)[1])


def conversions(unit: str) -> dict[str, float]:
    """For each other unit of ``unit``'s dimension, the factor values get multiplied by
    when the same quantity is sent in that unit (s -> ms: 1000; days -> months: 1/30.44)."""
    if unit not in UNITS:
        return {}
    dim, size = UNITS[unit]
    return {v: size / vsize for v, (vdim, vsize) in UNITS.items() if vdim == dim and v != unit and vsize != size}


#: Factors checked when a field has no known unit, with a hint of the usual cause.
GENERIC: dict[float, str] = {
    10.0: "a power of ten", 100.0: "e.g. a fraction sent as a percentage, or metres sent as centimetres",
    1000.0: "e.g. seconds sent as milliseconds, or kilometres sent as metres", 1e4: "a power of ten",
    1e5: "a power of ten", 1e6: "e.g. seconds sent as microseconds",
    60.0: "e.g. minutes sent as seconds, or hours sent as minutes", 3600.0: "e.g. hours sent as seconds",
    1440.0: "e.g. days sent as minutes", 86400.0: "e.g. days sent as seconds", 24.0: "e.g. days sent as hours",
    7.0: "e.g. weeks sent as days", 30.44: "e.g. months sent as days", 12.0: "e.g. years sent as months",
}


def generic_factors() -> dict[float, str]:
    """GENERIC and the inverse of each factor (the same change in the other direction)."""
    out = dict(GENERIC)
    for f, hint in GENERIC.items():
        out[1.0 / f] = _invert(hint)
    return out


def _invert(hint: str) -> str:
    if " sent as " not in hint:
        return hint
    parts = [p.strip() for p in hint.removeprefix("e.g. ").split(", or ")]
    flipped = []
    for p in parts:
        a, b = p.split(" sent as ")
        flipped.append(f"{b} sent as {a}")
    return "e.g. " + ", or ".join(flipped)


def describe_factor(k: float) -> str:
    """1000 -> '1000x'; 1/30.44 -> '1/30.44 (30.44x smaller)'."""
    if k >= 1:
        return f"{_short(k)}x"
    return f"1/{_short(1 / k)}x"


def _short(x: float) -> str:
    if abs(x - round(x)) < 1e-9 * max(1.0, x):
        return str(int(round(x)))
    digits = max(0, 3 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{digits}f}".rstrip("0").rstrip(".")
