"""What an SLO asks of its indicator: the share of good events, and the line a minute crosses.

The indicators themselves are declared once, in :mod:`telltale.indicators` (``TABLE``,
``resolve``); :mod:`telltale.policy.sources` reads each one's data from the store. This
module turns an SLO's ``objective``/``max``/``min`` into a :class:`Target`:

- a ``ratio`` indicator whose events are bad (error, fallback, override rates, a flag's
  share): ``objective`` or ``max`` (the largest bad share; ``max: 0.05`` is an objective
  of 0.95);
- a ``ratio`` indicator that is better higher (``accuracy``, ``estimated_accuracy``):
  ``objective`` or ``min`` (the smallest good share; the misses are the bad events);
- ``latency``: ``max`` in ms, the percentile in the name is the objective;
- ``time_slice``: ``max`` (or ``min``: a minute is bad when its value falls below) and
  ``objective``, the share of minutes within it.

>>> from telltale.indicators import resolve
>>> objective_of(None, None, 0.9, resolve("accuracy"), "acc")
Target(objective=0.9, limit=None, above_is_bad=True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from telltale.indicators import TABLE, Indicator, Ref, accepted, parse_metric, resolve

__all__ = ["TABLE", "Indicator", "Ref", "Target", "accepted", "objective_of", "parse_metric", "resolve"]


@dataclass(frozen=True, slots=True)
class Target:
    """The share of good events an SLO asks for, and the threshold of a latency or time-slice one."""

    objective: float
    limit: float | None = None
    above_is_bad: bool = True


def objective_of(slo_objective: float | None, slo_max: float | None, slo_min: float | None, r: Ref, name: str) -> Target:
    """The :class:`Target` of an SLO from what the spec wrote; ValueError saying what to write."""
    ind = r.indicator
    if ind.shape == "ratio":
        return _ratio(slo_objective, slo_max, slo_min, ind, name)
    if ind.shape == "latency":
        if slo_min is not None:
            raise ValueError(f"SLO {name!r}: min has no meaning for {r.name!r} (lower is better); write max or objective")
        if slo_max is None:
            raise ValueError(f"SLO {name!r}: {r.name!r} needs max (the threshold in {ind.unit})")
        if slo_objective is not None and not math.isclose(slo_objective, r.percentile or 0.0):
            raise ValueError(f"SLO {name!r}: objective {slo_objective:g} disagrees with the percentile in {r.name!r}")
        return Target(r.percentile or 0.0, slo_max)
    if (slo_max is None) == (slo_min is None):
        raise ValueError(f"SLO {name!r}: {r.name!r} needs max (the threshold in {ind.unit}; or min, when lower is worse), "
                         "exactly one of them")
    if slo_objective is None:
        raise ValueError(f"SLO {name!r}: {r.name!r} needs objective, the share of minutes within max (e.g. 0.99)")
    return Target(slo_objective, slo_max if slo_max is not None else slo_min, slo_max is not None)


def _ratio(slo_objective: float | None, slo_max: float | None, slo_min: float | None, ind: Indicator, name: str) -> Target:
    good, bad = ("min", "max") if ind.higher_is_better else ("max", "min")
    given_good = slo_min if ind.higher_is_better else slo_max
    if (slo_max if ind.higher_is_better else slo_min) is not None:
        side = "higher" if ind.higher_is_better else "lower"
        raise ValueError(f"SLO {name!r}: {bad} has no meaning for {ind.name!r} ({side} is better); write {good} or objective")
    if given_good is None:
        if slo_objective is None:
            raise ValueError(f"SLO {name!r}: write {good} or objective for {ind.name!r}")
        return Target(slo_objective)
    implied = given_good if ind.higher_is_better else 1.0 - given_good
    if slo_objective is not None and not math.isclose(slo_objective, implied):
        raise ValueError(f"SLO {name!r}: objective {slo_objective:g} and {good} {given_good:g} disagree; write one")
    if not 0 < given_good < 1:
        what = "the smallest good share" if ind.higher_is_better else "the largest bad share"
        raise ValueError(f"SLO {name!r}: a rate's {good} is {what}, between 0 and 1 exclusive, got {given_good!r}")
    return Target(implied)
