"""``cost``: spend per decision and per hour against the spec's budget and the hour before.

Each record's ``cost`` (priced by the guard from ``spec.cost``, or sent by the client) is
profiled as ``__cost__``, and the usage behind it as ``__input_tokens__``,
``__output_tokens__``, ``__cached_tokens__`` and ``__attempts__``. Cost per decision is
the window's spend over the decisions served (a fallback that never called the model
costs nothing); cost per hour is the window's spend scaled to an hour.

- **budget**: ``cost.budget_per_call`` (or an SLO ``cost_per_call``) and
  ``cost.budget_per_hour`` (or ``cost_per_hour``): critical above it, with at least
  ``MIN_CALLS`` priced calls and, per decision, the mean ``MIN_Z`` standard errors above
  the budget (a few long answers in a quiet window are not an incident);
- **baseline** (the hour before, when the monitor passes its profile): warning when the
  cost per decision rose by at least half (``RISE``), ``MIN_Z`` standard errors clear.

Every finding names its driver: the part of the cost per decision that grew most against
the hour before (or, without one, that makes most of it): ``input tokens``, ``output
tokens``, ``cached tokens`` (fewer cache hits), ``retries`` (attempts per decision), or
``calls`` (traffic, for the hourly spend).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telltale.checks._common import fmt
from telltale.checks.errors import served
from telltale.profile import ATTEMPTS, CACHED_TOKENS, COST, INPUT_TOKENS, OUTPUT_TOKENS, Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

if TYPE_CHECKING:  # the guard package (and asyncio) load only when a spec prices calls
    from telltale.guard.cost import CostModel

MIN_CALLS = 20
MIN_Z = 3.0
RISE = 1.5
HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Usage:
    """Means per decision served, read from a profile."""

    decisions: int
    spend: float
    priced: int  # records that carry a cost
    mean: float  # mean cost of a priced record
    std: float
    input: float
    output: float
    cached: float
    attempts: float

    @classmethod
    def of(cls, p: Profile) -> Usage:
        n = served(p)

        def total(col: str) -> float:
            f = p.fields.get(col)
            return f.numeric.sum if f is not None and f.numeric is not None else 0.0

        c = p.fields.get(COST)
        s = c.numeric if c is not None else None
        per = 1.0 / n if n else 0.0
        return cls(n, total(COST), s.count if s is not None else 0, s.mean if s is not None and s.count else 0.0,
                   s.std if s is not None else 0.0, total(INPUT_TOKENS) * per, total(OUTPUT_TOKENS) * per,
                   total(CACHED_TOKENS) * per, total(ATTEMPTS) * per)

    @property
    def per_decision(self) -> float:
        return self.spend / self.decisions if self.decisions else 0.0

    def parts(self, prices: CostModel) -> dict[str, float]:
        """Cost per decision by driver, at the spec's prices."""
        return {"input tokens": max(self.input - self.cached, 0.0) * prices.per_in,
                "cached tokens": self.cached * prices.per_cached,
                "output tokens": self.output * prices.per_out,
                "retries": self.attempts * prices.per_call}


def check(spec: ServiceSpec, current: Profile, baseline: Profile | None, window: Window | None) -> list[Finding]:
    cur = Usage.of(current)
    if cur.priced < MIN_CALLS or cur.decisions == 0:
        return []
    base = Usage.of(baseline) if baseline is not None and COST in baseline.fields else None
    if base is not None and base.priced < MIN_CALLS:
        base = None
    from telltale.guard.cost import CostModel

    prices = CostModel(spec.cost)
    cur_code = spec.cost.currency
    out: list[Finding] = []
    per_call, src = _budget(spec, "cost_per_call", spec.cost.budget_per_call, "cost.budget_per_call")
    driver = _driver(cur, base, prices)
    if per_call is not None and cur.per_decision > per_call and _z(cur, per_call) >= MIN_Z:
        out.append(Finding(
            kind="cost", feature=driver, severity="critical", statistic="cost_per_call", value=cur.per_decision,
            threshold=per_call, window=window,
            message=f"cost per decision is {_money(cur.per_decision)} {cur_code}, above {src} of {_money(per_call)}: "
                    f"driven by {_explain(driver, cur, base)}",
        ))
    elif base is not None and cur.per_decision >= RISE * base.per_decision > 0 and _z_against(cur, base) >= MIN_Z:
        out.append(Finding(
            kind="cost", feature=driver, severity="warning", statistic="cost_per_call", value=cur.per_decision,
            threshold=RISE * base.per_decision, window=window,
            message=f"cost per decision rose to {_money(cur.per_decision)} {cur_code} from {_money(base.per_decision)} "
                    f"in the hour before: driven by {_explain(driver, cur, base)}",
        ))
    per_hour, hsrc = _budget(spec, "cost_per_hour", spec.cost.budget_per_hour, "cost.budget_per_hour")
    seconds = (window.end - window.start).total_seconds() if window is not None else 0.0
    if per_hour is not None and seconds > 0:
        hourly = cur.spend * HOUR_S / seconds
        if hourly > per_hour:
            hdriver = _hour_driver(cur, base, per_call, driver, seconds)
            out.append(Finding(
                kind="cost", feature=hdriver, severity="critical", statistic="cost_per_hour", value=hourly,
                threshold=per_hour, window=window,
                message=f"spend is {_money(hourly)} {cur_code} per hour ({cur.decisions} decisions in {fmt(seconds)} s), "
                        f"above {hsrc} of {_money(per_hour)}: driven by {_explain(hdriver, cur, base, seconds)}",
            ))
    return out


def _budget(spec: ServiceSpec, metric: str, key_value: float | None, key: str) -> tuple[float | None, str]:
    for slo in spec.slos:
        if slo.metric == metric and slo.max is not None:
            return slo.max, f"the SLO {slo.name!r}"
    return key_value, f"the budget ({key})"


def _z(u: Usage, limit: float) -> float:
    """Standard errors the mean priced cost sits above ``limit`` scaled to priced records."""
    share = u.priced / u.decisions
    se = u.std / math.sqrt(u.priced) * share
    return (u.per_decision - limit) / se if se > 0 else math.inf


def _z_against(u: Usage, b: Usage) -> float:
    se = math.sqrt(u.std ** 2 / u.priced + b.std ** 2 / b.priced)
    return (u.mean - b.mean) / se if se > 0 else (math.inf if u.mean > b.mean else 0.0)


def _driver(cur: Usage, base: Usage | None, prices: CostModel) -> str:
    now = cur.parts(prices)
    if base is None:
        if cur.attempts <= 1.05 and now["retries"] == max(now.values()):
            return "calls"
        return max(now, key=lambda k: now[k])
    before = base.parts(prices)
    if not any(now.values()):  # costs sent by the client, prices unknown: the quantity that grew most
        ratios = {"input tokens": _ratio(cur.input, base.input), "output tokens": _ratio(cur.output, base.output),
                  "cached tokens": _ratio(base.cached, cur.cached), "retries": _ratio(cur.attempts, base.attempts)}
        return max(ratios, key=lambda k: ratios[k])
    growth = {k: now[k] - before[k] for k in now}
    top = max(growth, key=lambda k: growth[k])
    if top == "input tokens" and base.cached - cur.cached > 0.5 * (cur.input - cur.cached - base.input + base.cached):
        return "cached tokens"  # the same input, fewer of it from the cache
    return top


def _hour_driver(cur: Usage, base: Usage | None, per_call: float | None, driver: str, seconds: float) -> str:
    if base is not None and base.per_decision > 0:
        calls_ratio = (cur.decisions / seconds) / (base.decisions / HOUR_S)
        cost_ratio = cur.per_decision / base.per_decision
        return "calls" if calls_ratio >= cost_ratio else driver
    if per_call is not None and cur.per_decision <= per_call:
        return "calls"  # each decision is within its budget: there are too many of them
    return driver


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else (math.inf if a > 0 else 1.0)


_QUANTITY = {"input tokens": "input", "output tokens": "output", "cached tokens": "cached", "retries": "attempts"}


def _explain(driver: str, cur: Usage, base: Usage | None, seconds: float | None = None) -> str:
    if driver == "calls":
        rate = cur.decisions * HOUR_S / seconds if seconds else float(cur.decisions)
        against = f", against {base.decisions} in the hour before" if base is not None else ""
        return f"calls ({fmt(rate)} decisions per hour{against})"
    attr = _QUANTITY[driver]
    now = getattr(cur, attr)
    unit = "attempts" if driver == "retries" else "tokens"
    against = f", against {fmt(getattr(base, attr))} in the hour before" if base is not None else ""
    return f"{driver} ({fmt(now)} {unit} per decision{against})"


def _money(x: float) -> str:
    return f"{x:.4g}"
