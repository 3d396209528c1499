"""The indicator table: every SLO indicator and rule threshold the policy computes, once.

Each entry says how one minute profile (``Store.read_minutes``) becomes a statistic
(``value``: a rate, a percentile, a cost) and, for an SLO, good and bad events
(``events``). Three shapes:

- ``ratio``: bad and total are counts of decisions in the minute (error, fallback,
  abstain and review rates). An objective of 0.999 allows one bad decision in 1,000.
- ``latency``: a decision is bad when it took longer than the SLO's ``max`` in ms; the
  share above is read off the minute's KLL sketch (exact below 200 values a minute, within
  the sketch's rank error above). ``latency_p99_ms`` spells the objective (0.99) in the name.
- ``time_slice``: the minute is the event, bad when its value passes ``max`` (cost per
  1,000 decisions), as windows-based SLOs count.

An indicator nothing computes yet (realized or estimated accuracy, override rate,
labelled rates, review-queue age) is not in the table, so ``telltale check`` refuses
it. Adding one is one ``Indicator(...)`` entry in ``TABLE``.

>>> from telltale.profile import Profile
>>> p = Profile(n=1000, sources={"model": 990, "rules": 10}, guards={"model_error": 4, "breaker": 6})
>>> TABLE["error_rate"].value(p, None, None), TABLE["fallback_rate"].value(p, None, None)
(0.004, 0.01)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from telltale.profile import COST, LATENCY, Profile

#: Per-stage latency columns (signals builds them): ``__stage_ms__:<stage>``.
STAGE_PREFIX = "__stage_ms__:"

#: Decisions served by a model; the rest came from the fallback chain. Shadow records are
#: a copy of traffic, not decisions, so no rate counts them.
SERVED = frozenset({"model", "canary"})

#: Guards whose trigger is a failure of the model call itself: an exception, a timeout.
ERROR_GUARDS = ("model_error", "deadline")

Shape = Literal["ratio", "latency", "time_slice"]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One computable indicator. ``count(profile, column)`` gives (bad, total) for ratio
    shapes; ``value`` the statistic a rule compares with its threshold."""

    name: str
    family: str
    shape: Shape
    unit: str
    doc: str
    count: Callable[[Profile], tuple[float, float]] | None = None
    metric: str = ""  # what telltale's /metrics exports it as (see policy.prometheus)

    def value(self, p: Profile, column: str | None, q: float | None) -> float | None:
        """The statistic over profile ``p`` (a rate, a percentile in ms, a cost); None when empty."""
        if self.shape == "ratio":
            bad, total = self.count(p)  # type: ignore[misc]
            return bad / total if total else None
        if self.shape == "latency":
            num = _numeric(p, column or LATENCY)
            return None if num is None else num.quantile(q if q is not None else 0.5)
        decisions = _decisions(p)
        num = _numeric(p, COST)
        if not decisions:
            return None
        return (num.sum if num is not None else 0.0) / decisions * 1000.0

    def events(self, p: Profile, column: str | None, threshold: float | None) -> tuple[float, float]:
        """(bad, total) events of one minute for an SLO with ``threshold`` (its ``max``)."""
        if self.shape == "ratio":
            return self.count(p)  # type: ignore[misc]
        if self.shape == "latency":
            num = _numeric(p, column or LATENCY)
            if num is None or threshold is None:
                return 0.0, 0.0
            below = float(num.cdf([threshold])[0])
            return num.count * (1.0 - below), float(num.count)
        v = self.value(p, None, None)
        if v is None or threshold is None:
            return 0.0, 0.0
        return (1.0 if v > threshold else 0.0), 1.0


def _decisions(p: Profile) -> int:
    return p.n - p.sources.get("shadow", 0)


def _numeric(p: Profile, column: str):  # type: ignore[no-untyped-def]
    col = p.fields.get(column)
    return col.numeric if col is not None and col.numeric is not None and col.numeric.count else None


def _errors(p: Profile) -> tuple[float, float]:
    return float(sum(p.guards.get(g, 0) for g in ERROR_GUARDS)), float(_decisions(p))


def _fallbacks(p: Profile) -> tuple[float, float]:
    bad = sum(c for s, c in p.sources.items() if s not in SERVED and s != "shadow")
    return float(bad), float(_decisions(p))


def _source(name: str) -> Callable[[Profile], tuple[float, float]]:
    def count(p: Profile) -> tuple[float, float]:
        return float(p.sources.get(name, 0)), float(_decisions(p))
    return count


#: The table. ``latency_p{q}_ms`` stands for every percentile (``latency_p99_ms``, ``latency_p95_ms``...).
TABLE: dict[str, Indicator] = {i.name: i for i in (
    Indicator("error_rate", "platform", "ratio", "share",
              "decisions whose model call raised or timed out (guards model_error, deadline)", _errors, "errors"),
    Indicator("fallback_rate", "platform", "ratio", "share",
              "decisions served by the fallback chain instead of a model", _fallbacks, "fallbacks"),
    Indicator("abstain_rate", "platform", "ratio", "share", "decisions where the guard abstained", _source("abstain"), "abstains"),
    Indicator("review_rate", "platform", "ratio", "share", "decisions queued for human review", _source("review"), "reviews"),
    Indicator("latency_p{q}_ms", "platform", "latency", "ms",
              "the q-th percentile of latency per call (or per stage with stage:), in ms"),
    Indicator("cost_per_1k", "cost", "time_slice", "currency", "cost per 1,000 decisions, per minute"),
)}

_PERCENTILE = re.compile(r"^latency_p(\d{1,2}(?:\.\d+)?|100)_ms$")


@dataclass(frozen=True, slots=True)
class Resolved:
    """An indicator as one SLO or rule uses it: the entry, the column, the percentile."""

    indicator: Indicator
    column: str | None
    percentile: float | None  # 0..1 for latency indicators

    @property
    def name(self) -> str:
        return self.indicator.name

    def value(self, p: Profile) -> float | None:
        return self.indicator.value(p, self.column, self.percentile)


def accepted() -> list[str]:
    """The names a spec may write, for error messages."""
    return ["latency_p99_ms (any percentile)" if "{q}" in n else n for n in TABLE]


def resolve(name: str, stage: str | None = None) -> Resolved:
    """The table entry for ``name`` (with ``stage`` for latency); ValueError naming the accepted ones."""
    q: float | None = None
    entry = TABLE.get(name)
    m = _PERCENTILE.match(name)
    if entry is None and m is not None:
        entry, q = TABLE["latency_p{q}_ms"], float(m.group(1)) / 100.0
    if entry is None or "{q}" in name:
        raise ValueError(f"indicator {name!r} is not one telltale computes; one of {', '.join(accepted())}")
    if stage is not None and entry.shape != "latency":
        raise ValueError(f"stage {stage!r} only narrows a latency indicator, not {name!r}")
    column = STAGE_PREFIX + stage if stage is not None else None
    if q is not None and not 0.0 < q < 1.0:
        raise ValueError(f"indicator {name!r}: the percentile must be between 0 and 100 exclusive")
    return Resolved(entry, column, q)


def objective_of(slo_objective: float | None, slo_max: float | None, slo_min: float | None, r: Resolved, name: str) -> float:
    """The share of good events an SLO asks for, from what the spec wrote; ValueError if it cannot."""
    shape = r.indicator.shape
    if slo_min is not None:
        raise ValueError(f"SLO {name!r}: min has no meaning for {r.name!r} (lower is better); write max or objective")
    if shape == "ratio":
        if slo_objective is not None and slo_max is not None and not math.isclose(slo_objective, 1 - slo_max):
            raise ValueError(f"SLO {name!r}: objective {slo_objective:g} and max {slo_max:g} disagree; write one")
        if slo_objective is not None:
            return slo_objective
        if slo_max is None or not 0 < slo_max < 1:
            raise ValueError(f"SLO {name!r}: a rate's max is the largest bad share, between 0 and 1 exclusive, got {slo_max!r}")
        return 1.0 - slo_max
    if slo_max is None:
        raise ValueError(f"SLO {name!r}: {r.name!r} needs max (the threshold in {r.indicator.unit})")
    if shape == "latency":
        if slo_objective is not None and not math.isclose(slo_objective, r.percentile or 0):
            raise ValueError(f"SLO {name!r}: objective {slo_objective:g} disagrees with the percentile in {r.name!r}")
        return r.percentile  # type: ignore[return-value]
    if slo_objective is None:
        raise ValueError(f"SLO {name!r}: {r.name!r} needs objective, the share of minutes within max (e.g. 0.99)")
    return slo_objective
