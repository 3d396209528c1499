"""The service-level indicators the monitor computes: the one table of SLO metric names.

An SLO (``slos`` in the spec) names one of these as its ``metric``; the check of the
finding kind beside it reads the SLO and holds each window to it. The readiness check
and the policy read this table too, so a metric is accepted exactly when something
computes it.

Latency metrics take an optional stage: ``latency_p95_ms`` is the whole call,
``latency_p95_ms:retrieval`` the ``retrieval`` stage (timed with ``guard.stage``, or
sent in a record's ``stages``; the guard times the model call as stage ``model``).

>>> parse_metric("latency_p95_ms:retrieval")
MetricRef(indicator=Indicator(name='latency_p95_ms', kind='latency', unit='ms', quantile=0.95, staged=True, description='95th percentile of latency'), stage='retrieval')
>>> parse_metric("p99_latency") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Indicator:
    """One computable metric: its SLO name, the finding kind that checks it, its unit."""

    name: str
    kind: str
    unit: str
    quantile: float | None = None  # latency percentiles: the rank (0.95 for p95)
    staged: bool = False  # takes ``:<stage>``
    description: str = ""


@dataclass(frozen=True, slots=True)
class MetricRef:
    """An SLO metric parsed: the indicator, and the stage for a per-stage latency metric."""

    indicator: Indicator
    stage: str | None = None


def _latency(p: int) -> Indicator:
    return Indicator(f"latency_p{p}_ms", "latency", "ms", p / 100, True, f"{p}th percentile of latency")


#: Every metric an SLO may name, by name.
INDICATORS: dict[str, Indicator] = {i.name: i for i in (
    _latency(50), _latency(90), _latency(95), _latency(99),
    Indicator("error_rate", "errors", "fraction", description="share of decisions whose model call raised or timed out"),
    Indicator("timeout_rate", "errors", "fraction", description="share of decisions whose model call missed the deadline"),
    Indicator("cost_per_call", "cost", "currency", description="mean cost of a decision"),
    Indicator("cost_per_hour", "cost", "currency", description="spend per hour of traffic"),
    Indicator("fallback_rate", "fallback", "fraction", description="share of decisions served by a fallback"),
)}

#: The separator between a latency metric and its stage.
STAGE_SEP = ":"


def parse_metric(metric: str) -> MetricRef | None:
    """The indicator an SLO metric names, or None when nothing computes it."""
    name, sep, stage = metric.partition(STAGE_SEP)
    ind = INDICATORS.get(name)
    if ind is None or (sep and (not ind.staged or not stage)):
        return None
    return MetricRef(ind, stage or None)


def metric_names() -> list[str]:
    """The accepted names, for error messages (``latency_p95_ms[:<stage>]`` for staged ones)."""
    return [f"{i.name}[{STAGE_SEP}<stage>]" if i.staged else i.name for i in INDICATORS.values()]
