"""The service spec as typed objects: contract, guard settings, owners, SLOs, rules, fallbacks.

One ``ServiceSpec`` per ``telltale.yaml``. Structural problems (a wrong type, min above
max) fail validation here; readiness problems (blanks a person must fill before launch)
are the business of :mod:`telltale.spec.check`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Imported by name so the loader's "did you mean" hints know their keys too.
from telltale.spec.alerting import (  # noqa: F401
    Alerting,
    AlertmanagerReceiver,
    PagerDutyReceiver,
    Receiver,
    SlackReceiver,
    WebhookReceiver,
)
from telltale.spec.feedback import PerformanceSettings, ReviewSettings, TrustSettings
from telltale.spec.policy import (
    SLO,
    Rule,
    RuleCondition as RuleCondition,  # re-exported beside the others
)

#: Marker ``telltale init`` writes where a person must decide; ``telltale check`` flags it.
BLANK = "FILL_ME"

InputType = Literal["float", "int", "bool", "category", "string", "timestamp", "text", "vector"]
OutputType = Literal["float", "int", "bool", "category", "string"]

#: Units telltale knows, grouped by dimension, with their size in the dimension's base unit.
#: Used to name a suspected unit change ("looks like milliseconds") and to infer units.
UNITS: dict[str, tuple[str, float]] = {
    "ms": ("time", 0.001), "s": ("time", 1.0), "min": ("time", 60.0), "h": ("time", 3600.0),
    "days": ("time", 86400.0), "weeks": ("time", 604800.0), "months": ("time", 2629746.0),
    "years": ("time", 31556952.0),
    "mm": ("length", 0.001), "cm": ("length", 0.01), "m": ("length", 1.0), "km": ("length", 1000.0),
    "miles": ("length", 1609.344), "ft": ("length", 0.3048),
    "g": ("mass", 0.001), "kg": ("mass", 1.0), "lb": ("mass", 0.45359237),
    "fraction": ("ratio", 1.0), "pct": ("ratio", 0.01), "bps": ("ratio", 0.0001),
    "cents": ("money", 0.01), "usd": ("money", 1.0), "eur": ("money", 1.0),
    "bytes": ("data", 1.0), "kb": ("data", 1e3), "mb": ("data", 1e6), "gb": ("data", 1e9),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """Inclusive bounds; either side may be open."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise ValueError(f"a range is [min, max] or {{min: .., max: ..}}, got a list of {len(v)}")
            return {"min": v[0], "max": v[1]}
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        for name in ("min", "max"):
            x = getattr(self, name)
            if x is not None and not math.isfinite(x):
                raise ValueError(f"{name} must be a finite number, got {x}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {_num(self.min)} is greater than max {_num(self.max)}")
        return self

    def contains(self, x: float) -> bool:
        return (self.min is None or x >= self.min) and (self.max is None or x <= self.max)


class DriftSettings(_Strict):
    """Per-field override of the drift method and its threshold (issue 3)."""

    method: Literal["auto", "psi", "js", "wasserstein", "ks", "chi2"] = "auto"
    threshold: float | None = None


class InputField(_Strict):
    """The contract for one input field.

    ``required`` fields are ones the model cannot do without: when such a field is
    missing, null (and not ``nullable``), mistyped or out of range, the guard serves the
    fallback instead of calling the model. Violations of other fields are recorded only.
    An ``identifier`` (a row key: an order id, a running index) is unique per row by
    design: its type and nulls are checked, but it is never range- or unit-checked,
    tested for drift, given to the domain classifier or counted in duplicate rows.
    """

    type: InputType
    unit: str | None = None
    range: Range | None = None
    nullable: bool = False
    required: bool = True
    categories: list[str] | None = None
    max_staleness_s: float | None = Field(default=None, gt=0)
    drift: DriftSettings | None = None
    segment: bool = False
    identifier: bool = False
    description: str | None = None
    min_length: int | None = Field(default=None, ge=0, description="text: the fewest characters a value may have")
    max_length: int | None = Field(default=None, gt=0, description="text: the most characters a value may have")
    max_bytes: int | None = Field(default=None, gt=0, description="text: the most UTF-8 bytes a value may take")
    dim: int | None = Field(default=None, gt=0, le=10_000, description="vector: the number of floats in every value (at most a record's max_items)")

    @model_validator(mode="after")
    def _consistent(self) -> InputField:
        self._text_and_vector()
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"unit {self.unit!r} is not known; use one of {', '.join(sorted(UNITS))}")
        if self.range is not None and self.type not in ("float", "int", "timestamp"):
            raise ValueError(f"range is only meaningful for numeric fields, not type {self.type!r}")
        if self.categories is not None and self.type != "category":
            raise ValueError(f"categories are only meaningful for type 'category', not {self.type!r}")
        if self.categories is not None and len(set(self.categories)) != len(self.categories):
            raise ValueError("categories contain duplicates")
        if self.max_staleness_s is not None and self.type != "timestamp":
            raise ValueError(f"max_staleness_s is only meaningful for type 'timestamp', not {self.type!r}; "
                             "for the record's event_ts use guard.max_staleness_s")
        return self

    def _text_and_vector(self) -> None:
        """``text`` takes length limits, ``vector`` needs its ``dim``; no other type takes either."""
        for key in ("min_length", "max_length", "max_bytes"):
            if getattr(self, key) is not None and self.type != "text":
                raise ValueError(f"{key} is only meaningful for type 'text', not {self.type!r}")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"min_length {self.min_length} is greater than max_length {self.max_length}")
        if self.type == "vector" and self.dim is None:
            raise ValueError("a vector field needs dim: the number of floats in each embedding (e.g. dim: 384)")
        if self.dim is not None and self.type != "vector":
            raise ValueError(f"dim is only meaningful for type 'vector', not {self.type!r}")
        if self.type in ("text", "vector") and self.drift is not None:
            if self.drift.method != "auto":
                raise ValueError(f"drift.method {self.drift.method!r} does not apply to a {self.type} field: its drift is a domain "
                                 "classifier's ROC AUC; leave method out and set drift.threshold (the critical AUC) if needed")
            if self.drift.threshold is not None and not 0.5 < self.drift.threshold <= 1.0:
                raise ValueError(f"drift.threshold of a {self.type} field is the critical ROC AUC, between 0.5 and 1; "
                                 f"got {self.drift.threshold}")
        if self.type in ("text", "vector") and (self.segment or self.identifier):
            raise ValueError(f"a {self.type} field cannot be a segment or an identifier; use a category or string field for that")


class ConfidenceGate(_Strict):
    min: float = Field(ge=0.0, le=1.0)


class OutputSpec(_Strict):
    type: OutputType = "float"
    range: Range | None = None
    classes: list[Any] | None = None
    confidence: ConfidenceGate | None = None
    ood_max: float | None = Field(default=None, gt=0, description="max out-of-distribution score before the input is called OOD")


class FallbackDefault(_Strict):
    default: Any


FallbackStep = Literal["rules", "abstain", "review"] | FallbackDefault


class BreakerSettings(_Strict):
    """Circuit breaker on a sliding window of calls.

    Defaults follow resilience4j's: a 100-call window, open at a 50% failure rate once
    at least 20 calls were seen (so a cold start's first errors do not trip it), wait
    30 s before probing, and let 5 trial calls decide in half-open.
    """

    window: Literal["count", "time"] = "count"
    window_size: int = Field(default=100, gt=0, description="calls (count window) or seconds (time window)")
    failure_rate: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=20, gt=0)
    open_wait_s: float = Field(default=30.0, gt=0)
    half_open_calls: int = Field(default=5, gt=0)
    ood_rate: float | None = Field(default=None, gt=0, le=1)
    low_confidence_rate: float | None = Field(default=None, gt=0, le=1)


class RetryBudget(_Strict):
    """Token bucket in the manner of gRPC retry throttling: each success refills
    ``ratio`` of a token, each failure costs one; retries stop below half the bucket."""

    ratio: float = Field(default=0.1, gt=0, le=1)
    max_tokens: float = Field(default=10.0, gt=0)


class RetrySettings(_Strict):
    max_attempts: int = Field(default=2, ge=1, le=10)
    retry_on: list[str] = Field(default_factory=lambda: ["TimeoutError", "ConnectionError"])
    backoff_s: float = Field(default=0.02, ge=0)
    max_backoff_s: float = Field(default=0.5, ge=0)
    jitter: bool = True
    budget: RetryBudget = Field(default_factory=RetryBudget)


class BulkheadSettings(_Strict):
    max_concurrent: int = Field(default=16, gt=0)
    max_wait_ms: float = Field(default=5.0, ge=0)


class GuardSettings(_Strict):
    budget_ms: float | None = Field(default=None, gt=0, description="deadline for the whole call")
    stages: dict[str, float] = Field(default_factory=dict, description="per-stage budgets in ms")
    breaker: BreakerSettings | None = Field(default_factory=BreakerSettings)
    retry: RetrySettings | None = None
    bulkhead: BulkheadSettings | None = None
    shadow_sample: float = Field(default=1.0, ge=0, le=1)
    canary_share: float = Field(default=0.0, ge=0, le=1)
    control_poll_s: float = Field(default=5.0, gt=0)
    max_staleness_s: float | None = Field(
        default=None, gt=0, description="the oldest a call's event_ts may be, in seconds; older: the fallback (guard 'stale')")


class Owners(_Strict):
    """Who hears about what (DESIGN.md failure 20): one owner per signal family
    (``telltale.types.FAMILIES``); ``alerting.routes`` says how each is reached."""

    data: str | None = None
    drift: str | None = None
    model: str | None = None
    platform: str | None = None
    cost: str | None = None
    trust: str | None = None

    def of(self, family: str) -> str | None:
        """The owner of ``family``, or None when the spec names nobody."""
        return getattr(self, family, None) if family in type(self).model_fields else None


class CostSettings(_Strict):
    """Prices (what the guard charges each call) and budgets (what the ``cost`` check holds
    the service to). ``per_1k_cached_tokens`` prices input tokens read from the provider's
    cache (unset: priced as other input tokens). ``budget_per_call`` is a ceiling on the
    mean cost of a decision in a window, ``budget_per_hour`` on the spend per hour of
    traffic (the window's spend scaled to an hour). Budgets read each record's ``cost``,
    whether the guard priced it or the client sent it."""

    per_call: float = Field(default=0.0, ge=0)
    per_1k_input_tokens: float = Field(default=0.0, ge=0)
    per_1k_output_tokens: float = Field(default=0.0, ge=0)
    per_1k_cached_tokens: float | None = Field(default=None, ge=0)
    budget_per_call: float | None = Field(default=None, gt=0)
    budget_per_hour: float | None = Field(default=None, gt=0)
    currency: str = "usd"


class ServiceSpec(_Strict):
    """A whole ``telltale.yaml``."""

    service: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    owner: str
    model_version: str = "unversioned"
    previous_version: str | None = None
    components: dict[str, str] = Field(default_factory=dict)
    owners: Owners = Field(default_factory=Owners)
    alerting: Alerting = Field(default_factory=Alerting)
    inputs: dict[str, InputField]
    output: OutputSpec = Field(default_factory=OutputSpec)
    fallback: list[FallbackStep] = Field(default_factory=list)
    guard: GuardSettings = Field(default_factory=GuardSettings)
    slos: list[SLO] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    cost: CostSettings = Field(default_factory=CostSettings)
    reference: str | None = Field(default=None, description="path of the reference profile, relative to the spec")
    target: str | None = None
    prediction: str | None = None
    performance: PerformanceSettings = Field(default_factory=PerformanceSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)

    @field_validator("inputs")
    @classmethod
    def _some_inputs(cls, v: dict[str, InputField]) -> dict[str, InputField]:
        if not v:
            raise ValueError("a service needs at least one input field")
        return v

    @model_validator(mode="after")
    def _performance_fits_output(self) -> ServiceSpec:
        out = self.output
        self.performance.check_output(out.classes is not None or out.type in ("category", "bool", "string"))
        return self

    @property
    def identifiers(self) -> frozenset[str]:
        """Input fields that are row keys (``identifier: true``)."""
        return frozenset(name for name, f in self.inputs.items() if f.identifier)

    @property
    def required_fields(self) -> list[str]:
        return [name for name, f in self.inputs.items() if f.required]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)
