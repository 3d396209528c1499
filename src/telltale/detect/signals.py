"""The per-minute signals the change detectors watch: ONE table, one row per signal.

Each row says which finding kind it raises, which features it has in a span of minute
profiles (input fields, stages, guards, or just the service), how one minute's value is
read (a number, or a count out of a total), and which direction is worse. Adding a
signal is adding a row to ``SIGNALS``.

Numbers are magnitudes (milliseconds, money, tokens, attempts) and are watched on a
``log1p`` scale, where a latency doubling is the same step at 50 ms as at 5 s and the
right tail is tamed; a minute with too few values for its statistic reads as missing
(a p99 needs 100 calls, a p95 20, a median 5), so quiet minutes do not page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telltale.checks.fallback import NOT_SERVED, SERVED_BY_MODEL
from telltale.profile import COST, LATENCY, Profile
from telltale.profile.column import ColumnProfile

if TYPE_CHECKING:
    from telltale.spec.model import ServiceSpec

#: Reserved profile columns built by the profile code (OWNERS.md, shared names): per-stage
#: latency is ``__stage_ms__:<stage>``; token counts and model attempts per call.
STAGE_PREFIX = "__stage_ms__:"
INPUT_TOKENS = "__input_tokens__"
OUTPUT_TOKENS = "__output_tokens__"
CACHED_TOKENS = "__cached_tokens__"
ATTEMPTS = "__attempts__"

#: The guards whose calls count as model errors: the model raised, or ran past the deadline.
ERROR_GUARDS = frozenset({"model_error", "deadline"})

Value = float | tuple[float, float]


@dataclass(frozen=True, slots=True)
class Signal:
    """One per-minute signal: what it is called, what it raises, how a minute is read."""

    name: str  # as a person reads it: "p95 latency", "null share"
    kind: str  # the finding kind it raises
    features: Callable[[ServiceSpec | None, Sequence[Profile]], list[tuple[str | None, str]]]  # (feature, column) pairs in a span
    read: Callable[[Profile, str], Value]  # one minute: a number (NaN: no data) or (count, total)
    rate: bool  # read gives (count, total): watched by RateCusum; else a number, by Cusum on log1p
    worse: int  # +1: rises are the problem, -1: falls, 0: both
    unit: str = ""  # for numbers in messages: "ms", or "" for plain


def _inputs(spec: ServiceSpec | None, profiles: Sequence[Profile]) -> list[tuple[str | None, str]]:
    # the contract's fields: an undeclared field that comes and goes would read as all null when it goes
    names = sorted(spec.inputs) if spec is not None else sorted({k for p in profiles for k in p.inputs})
    return [(k, k) for k in names if any(k in p.fields for p in profiles)]


def _latencies(spec: ServiceSpec | None, profiles: Sequence[Profile]) -> list[tuple[str | None, str]]:
    stages = sorted({k for p in profiles for k in p.fields if k.startswith(STAGE_PREFIX)})
    out: list[tuple[str | None, str]] = [(None, LATENCY)] if any(LATENCY in p.fields for p in profiles) else []
    return out + [(k[len(STAGE_PREFIX):], k) for k in stages]


def _column(name: str, feature: str | None = None) -> Callable[[ServiceSpec | None, Sequence[Profile]], list[tuple[str | None, str]]]:
    def features(spec: ServiceSpec | None, profiles: Sequence[Profile]) -> list[tuple[str | None, str]]:
        return [(feature, name)] if any(_numbers(p.fields.get(name)) for p in profiles) else []
    return features


def _service(spec: ServiceSpec | None, profiles: Sequence[Profile]) -> list[tuple[str | None, str]]:
    return [(None, "")] if profiles else []


def _guard_names(spec: ServiceSpec | None, profiles: Sequence[Profile]) -> list[tuple[str | None, str]]:
    return [(g, g) for g in sorted({g for p in profiles for g in p.guards})]


def _numbers(col: ColumnProfile | None) -> int:
    return col.numeric.count if col is not None and col.numeric is not None else 0


def _quantile(q: float, min_count: int) -> Callable[[Profile, str], Value]:
    def read(p: Profile, column: str) -> Value:
        col = p.fields.get(column)
        if _numbers(col) < min_count:
            return math.nan
        return col.numeric.quantile(q)  # type: ignore[union-attr]
    return read


def _mean(p: Profile, column: str) -> Value:
    col = p.fields.get(column)
    return col.numeric.mean if _numbers(col) else math.nan  # type: ignore[union-attr]


def _nulls(p: Profile, column: str) -> Value:
    col = p.fields.get(column)
    if col is None:
        return (float(p.n), float(p.n)) if p.n else (0.0, 0.0)  # absent from every row of the minute
    return float(col.nulls + col.missing), float(col.rows)


def _errors(p: Profile, column: str) -> Value:
    return float(sum(p.guards.get(g, 0) for g in ERROR_GUARDS)), float(p.n)


def _fallbacks(p: Profile, column: str) -> Value:
    served = {s: n for s, n in p.sources.items() if s not in NOT_SERVED}
    return float(sum(n for s, n in served.items() if s not in SERVED_BY_MODEL)), float(sum(served.values()))


def _guard(p: Profile, column: str) -> Value:
    return float(p.guards.get(column, 0)), float(p.n)


#: Every per-minute signal the change detectors watch.
SIGNALS: tuple[Signal, ...] = (
    Signal("null share", "nulls", _inputs, _nulls, rate=True, worse=1),
    Signal("median latency", "latency", _latencies, _quantile(0.5, 5), rate=False, worse=1, unit="ms"),
    Signal("p95 latency", "latency", _latencies, _quantile(0.95, 20), rate=False, worse=1, unit="ms"),
    Signal("p99 latency", "latency", _latencies, _quantile(0.99, 100), rate=False, worse=1, unit="ms"),
    Signal("error rate", "errors", _service, _errors, rate=True, worse=1),
    Signal("cost per call", "cost", _column(COST), _mean, rate=False, worse=1),
    Signal("input tokens per call", "cost", _column(INPUT_TOKENS, "input_tokens"), _mean, rate=False, worse=1),
    Signal("output tokens per call", "cost", _column(OUTPUT_TOKENS, "output_tokens"), _mean, rate=False, worse=1),
    Signal("cached tokens per call", "cost", _column(CACHED_TOKENS, "cached_tokens"), _mean, rate=False, worse=-1),
    Signal("model attempts per call", "cost", _column(ATTEMPTS, "attempts"), _mean, rate=False, worse=1),
    Signal("fallback rate", "fallback", _service, _fallbacks, rate=True, worse=1),
    Signal("trigger rate", "guard", _guard_names, _guard, rate=True, worse=0),
)

__all__ = ["ERROR_GUARDS", "SIGNALS", "STAGE_PREFIX", "Signal"]
