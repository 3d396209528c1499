"""The core value types every module speaks in: violations, records, decisions, findings.

Plain slotted dataclasses: they sit on the guard's hot path, so construction must cost
well under a microsecond, and they carry no behaviour beyond conversion to JSON-ready
dicts for the store and the HTTP API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

Severity = Literal["critical", "warning"]

#: Every finding kind and the signal family it belongs to (DESIGN.md, "Findings"): the
#: one declaration of the vocabulary. Each family has an owner in the spec (``owners``),
#: and an alert on a finding goes to the owner of its family. New kinds go here first.
KIND_FAMILY: dict[str, str] = {
    "schema": "data", "type": "data", "nulls": "data", "range": "data", "category": "data",
    "unit": "data", "freshness": "data", "duplicates": "data", "segment": "data",
    "drift": "drift", "prediction_drift": "drift", "multivariate_drift": "drift",
    "performance": "model", "estimated_performance": "model", "calibration": "model",
    "latency": "platform", "errors": "platform", "fallback": "platform", "guard": "platform",
    "cost": "cost",
    "trust": "trust",
}

#: The signal families, in the order DESIGN.md lists them.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(KIND_FAMILY.values()))

#: The fixed vocabulary of finding kinds, derived from ``KIND_FAMILY``.
FINDING_KINDS: frozenset[str] = frozenset(KIND_FAMILY)


def family_of(kind: str) -> str:
    """The signal family of a finding kind (``data``, ``drift``, ``model``, ``platform``, ``cost``, ``trust``)."""
    try:
        return KIND_FAMILY[kind]
    except KeyError:
        raise ValueError(f"finding kind {kind!r} is not in the vocabulary; one of {', '.join(sorted(KIND_FAMILY))}") from None


#: Kinds a single record can violate at the door (a subset of FINDING_KINDS).
ViolationKind = Literal["schema", "type", "nulls", "range", "category"]

#: Where a decision's value came from. ``model`` is the primary; the rest are fallback steps.
Source = Literal["model", "canary", "rules", "default", "abstain", "review", "shadow"]


@dataclass(slots=True, frozen=True)
class Violation:
    """One way one record broke the contract: which field, what kind, and why in words."""

    field: str
    kind: ViolationKind
    message: str
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "message": self.message, "required": self.required}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Violation:
        return cls(field=d["field"], kind=d["kind"], message=d["message"], required=bool(d.get("required", True)))


@dataclass(slots=True)
class PredictionRecord:
    """What is kept of one decision: compact enough to write for every call.

    ``ts`` is the decision time in epoch seconds from the injected clock; ``event_ts`` is
    when the input was produced upstream (for freshness), if the caller knows it.
    """

    id: str
    service: str
    ts: float
    inputs: dict[str, Any]
    output: Any = None
    confidence: float | None = None
    source: str = "model"
    model_version: str | None = None
    components: dict[str, str] = field(default_factory=dict)
    latency_ms: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    cost: float | None = None
    violations: list[Violation] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    segment: str | None = None
    event_ts: float | None = None
    guard: str | None = None  # the guard that took the call from the model, if one did
    attempts: int | None = None  # model attempts made (retries included); None when the model was not called
    input_tokens: int | None = None  # LLM usage, when the model reports it
    output_tokens: int | None = None
    cached_tokens: int | None = None
    actor: str | None = None  # who acted on the decision (a user or team key), if known
    tags: dict[str, str] = field(default_factory=dict)  # a few bounded labels chosen by the caller

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "ts": self.ts,
            "inputs": self.inputs,
            "output": self.output,
            "confidence": self.confidence,
            "source": self.source,
            "model_version": self.model_version,
            "components": self.components,
            "latency_ms": self.latency_ms,
            "stages": self.stages,
            "cost": self.cost,
            "violations": [v.to_dict() for v in self.violations],
            "reasons": self.reasons,
            "segment": self.segment,
            "event_ts": self.event_ts,
            "guard": self.guard,
            "attempts": self.attempts,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "actor": self.actor,
            "tags": self.tags,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PredictionRecord:
        return cls(
            id=d["id"],
            service=d["service"],
            ts=float(d["ts"]),
            inputs=dict(d.get("inputs") or {}),
            output=d.get("output"),
            confidence=d.get("confidence"),
            source=d.get("source") or "model",
            model_version=d.get("model_version"),
            components=dict(d.get("components") or {}),
            latency_ms=d.get("latency_ms"),
            stages=dict(d.get("stages") or {}),
            cost=d.get("cost"),
            violations=[Violation.from_dict(v) for v in d.get("violations") or []],
            reasons=list(d.get("reasons") or []),
            segment=d.get("segment"),
            event_ts=d.get("event_ts"),
            guard=d.get("guard"),
            attempts=d.get("attempts"),
            input_tokens=d.get("input_tokens"),
            output_tokens=d.get("output_tokens"),
            cached_tokens=d.get("cached_tokens"),
            actor=d.get("actor"),
            tags=dict(d.get("tags") or {}),
        )


@dataclass(slots=True)
class Decision:
    """What the guard hands back to the caller for one record.

    ``source`` says which step served (``model`` or a fallback step); ``reasons`` says
    why, in words a person can act on. ``value`` is ``None`` when the guard abstained or
    queued the record for review.
    """

    id: str
    value: Any
    source: str
    confidence: float | None = None
    reasons: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    model_version: str | None = None
    cost: float | None = None

    @property
    def served_by_model(self) -> bool:
        return self.source in ("model", "canary")


@dataclass(slots=True, frozen=True)
class Window:
    """A half-open time interval [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"Window bounds must be timezone-aware, got start={self.start!r} end={self.end!r}")
        if self.end < self.start:
            raise ValueError(f"Window end {self.end.isoformat()} is before start {self.start.isoformat()}")

    @classmethod
    def from_epoch(cls, start: float, end: float) -> Window:
        return cls(datetime.fromtimestamp(start, timezone.utc), datetime.fromtimestamp(end, timezone.utc))

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(slots=True, frozen=True)
class Finding:
    """One check's verdict, in the one shape every part of telltale emits (DESIGN.md)."""

    kind: str
    feature: str | None
    severity: Severity
    statistic: str
    value: float | None
    threshold: float | None
    window: Window | None
    message: str

    def __post_init__(self) -> None:
        if self.kind not in FINDING_KINDS:
            raise ValueError(f"Finding kind {self.kind!r} is not in the vocabulary; add it to DESIGN.md and FINDING_KINDS first")
        if self.severity not in ("critical", "warning"):
            raise ValueError(f"Finding severity must be 'critical' or 'warning', got {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "feature": self.feature,
            "severity": self.severity,
            "statistic": self.statistic,
            "value": _json_number(self.value),
            "threshold": _json_number(self.threshold),
            "window": self.window.to_dict() if self.window else None,
            "message": self.message,
        }


def _json_number(x: float | None) -> float | None:
    """JSON has no NaN or inf; report them as null rather than emit invalid JSON."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(slots=True, frozen=True)
class StoredFinding:
    """A finding the monitor remembers: one ongoing problem is one row with a lifecycle.

    ``fingerprint`` is stable for the same problem (``service/kind/feature-or-stage``);
    ``id`` names one occurrence (a fingerprint that resolves and later reopens is a new
    id). ``severity`` is the worst seen while open; ``resolved`` is None while it goes
    on. ``cause`` is the id of the finding this one is a consequence of (a unit change
    owns the range, drift and fallback findings on its field); ``change`` names the
    nearest preceding version change of the service, in words. ``latest`` is the newest
    window's verdict.
    """

    id: str
    fingerprint: str
    service: str
    kind: str
    feature: str | None
    severity: Severity
    opened: float
    last_seen: float
    resolved: float | None
    cause: str | None
    change: str | None
    latest: Finding

    @property
    def family(self) -> str:
        return family_of(self.kind)

    @property
    def is_open(self) -> bool:
        return self.resolved is None


AlertState = Literal["firing", "resolved"]


@dataclass(slots=True, frozen=True)
class Alert:
    """What the policy tells a person: raised by an SLO's burn rate, a rule or a finding.

    ``fingerprint`` is stable for the same problem, so a re-sent alert updates rather than
    repeats; ``family`` picks the owner and route (the spec's ``owners``); ``severity``
    ``critical`` pages and ``warning`` opens a ticket. ``incident`` groups alerts of one
    cause so its consequences do not page separately. Times are epoch seconds.
    """

    fingerprint: str
    service: str
    family: str
    severity: Severity
    state: AlertState
    title: str
    message: str
    source: str  # what raised it: "slo:<name>", "rule:<name>" or "finding:<id>"
    starts_at: float
    ends_at: float | None = None
    incident: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"Alert family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        if self.state not in ("firing", "resolved"):
            raise ValueError(f"Alert state must be 'firing' or 'resolved', got {self.state!r}")
