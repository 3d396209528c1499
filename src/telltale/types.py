"""The core value types every module speaks in: violations, records, decisions, findings.

Plain slotted dataclasses: they sit on the guard's hot path, so construction must cost
well under a microsecond, and they carry no behaviour beyond conversion to JSON-ready
dicts for the store and the HTTP API.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Literal

from telltale.wire import MAX_ID_LEN, MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN, MAX_TAGS, WireField, wire

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

    Each field is declared once, here: its name, type and default, and in its metadata
    (``telltale.wire.WireField``) how it travels: the kind, the limit, the doc. The JSON
    form (``to_dict``/``from_dict``), the HTTP parser, the OpenAPI body, the sinks, the
    spill and the store all derive from these declarations (``RECORD_FIELDS``). The guard
    builds records positionally: the order is pinned by a test.
    """

    id: str = field(metadata=wire("id", "unique per service: a record sent twice is stored once", max_len=MAX_ID_LEN))
    service: str = field(metadata=wire("text", "the service; over HTTP the URL names it", max_len=64))
    ts: float = field(metadata=wire("time", "decision time, epoch seconds; default over HTTP: when the server received it"))
    inputs: dict[str, Any] = field(metadata=wire("inputs", "the model's input fields, by name"))
    output: Any = field(default=None, metadata=wire("json", "what was served (any JSON value)"))
    confidence: float | None = field(default=None, metadata=wire("number", "the model's confidence, when it gave one"))
    source: str = field(default="model", metadata=wire("text", "what served: model, canary, rules, default, abstain, review, shadow", max_len=32))
    model_version: str | None = field(default=None, metadata=wire("text", "the model's version", max_len=128))
    components: dict[str, str] = field(default_factory=dict, metadata=wire(
        "text_map", "versions of the components around the model (prompt, retrieval...)", max_len=128, key_len=64, max_items=64))
    latency_ms: float | None = field(default=None, metadata=wire("number", "total time of the call, milliseconds"))
    stages: dict[str, float] = field(default_factory=dict, metadata=wire(
        "number_map", "time per stage, milliseconds", key_len=64, max_items=64))
    cost: float | None = field(default=None, metadata=wire("number", "cost of the call in the spec's currency"))
    violations: list[Violation] = field(default_factory=list, metadata=wire(
        "violations", "contract violations (the server recomputes them from its spec)", computed=True))
    reasons: list[str] = field(default_factory=list, metadata=wire("text_list", "why it was served as it was, in words", max_items=256))
    segment: str | None = field(default=None, metadata=wire("text", "the segment the record belongs to", max_len=200))
    event_ts: float | None = field(default=None, metadata=wire("time", "when the input was produced upstream, epoch seconds (freshness)"))
    guard: str | None = field(default=None, metadata=wire("text", "the guard that took the call from the model, if one did", max_len=64))
    attempts: int | None = field(default=None, metadata=wire("count", "model attempts made, retries included; null when the model was not called"))
    input_tokens: int | None = field(default=None, metadata=wire("count", "LLM input tokens, when the model reports usage"))
    output_tokens: int | None = field(default=None, metadata=wire("count", "LLM output tokens"))
    cached_tokens: int | None = field(default=None, metadata=wire("count", "LLM input tokens served from a cache"))
    actor: str | None = field(default=None, metadata=wire("text", "who acted on the decision: a user or team key", max_len=128))
    tags: dict[str, str] = field(default_factory=dict, metadata=wire(
        "text_map", f"a few labels chosen by the caller: at most {MAX_TAGS}, keys up to {MAX_TAG_KEY_LEN} "
        f"characters, values up to {MAX_TAG_VALUE_LEN}", max_len=MAX_TAG_VALUE_LEN, key_len=MAX_TAG_KEY_LEN, max_items=MAX_TAGS))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every field by name; violations as dicts."""
        d = dict(zip(_NAMES, _get_all(self)))
        if self.violations:
            d["violations"] = [v.to_dict() for v in self.violations]
        else:
            d["violations"] = []
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PredictionRecord:
        """The record back from ``to_dict``'s form (missing optional fields take their defaults)."""
        return cls(*[conv(d.get(name)) for name, conv in _FROM])


def _wire_fields(cls: type) -> tuple[tuple[str, WireField], ...]:
    return tuple((f.name, f.metadata["wire"]) for f in fields(cls))


#: (name, WireField) of every record field, in declaration order: the one wire schema.
RECORD_FIELDS: tuple[tuple[str, WireField], ...] = _wire_fields(PredictionRecord)
_NAMES = tuple(name for name, _ in RECORD_FIELDS)
_get_all = attrgetter(*_NAMES)


def _required(name: str) -> Any:
    def conv(v: Any) -> Any:
        if v is None:
            raise KeyError(name)
        return v
    return conv


def _float_or_none(v: Any) -> float | None:
    return None if v is None else float(v)


def _converter(name: str, wf: WireField, default: Any) -> Any:
    """How ``from_dict`` reads one field back, by its wire kind."""
    kind = wf.kind
    if kind == "id" or name == "service":
        return _required(name)
    if name == "ts":
        req = _required(name)
        return lambda v: float(req(v))
    if kind in ("number", "time"):
        return _float_or_none
    if kind in ("inputs", "text_map", "number_map"):
        return lambda v: dict(v) if v else {}
    if kind == "text_list":
        return lambda v: list(v) if v else []
    if kind == "violations":
        return lambda v: [Violation.from_dict(x) for x in v] if v else []
    if default is not None:
        return lambda v: default if v is None else v
    return lambda v: v


_FROM = tuple(
    (f.name, _converter(f.name, f.metadata["wire"], f.default if f.default is not MISSING else None))
    for f in fields(PredictionRecord)
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


#: A span query may ask for at most this many windows (a week of 5-minute windows is 2016).
MAX_WINDOWS = 5000


def window_grid(since: float, until: float, window_s: float, *, per: str = "profiles") -> tuple[int, int]:
    """(first window's start, number of windows) for windows of ``window_s`` over [since,
    until), starting on the minute; ValueError naming the limit on a span no store answers."""
    if not window_s >= 60:
        raise ValueError(f"window must be at least 60 seconds ({per} are per minute), got {window_s}")
    if not until > since:
        raise ValueError(f"until ({until}) must be after since ({since})")
    start = math.floor(since / 60) * 60
    n = math.ceil((until - start) / window_s)
    if n > MAX_WINDOWS:
        raise ValueError(f"{n} windows of {window_s:g}s between since and until; the most is {MAX_WINDOWS}: use a larger window or a shorter span")
    return start, n


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
