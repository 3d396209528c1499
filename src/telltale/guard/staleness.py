"""Stale inputs at the door (DESIGN.md failure 4): serve the fallback, say how old.

Two limits, both in the spec:

- ``guard.max_staleness_s``: the oldest a call's ``event_ts`` (when its input was
  produced upstream: ``guard.predict(record, event_ts=...)``) may be at decision time;
- ``inputs.<field>.max_staleness_s`` on a **required** ``timestamp`` input: the oldest
  that field's value may be (a non-required one is monitored only, by the ``freshness``
  check).

Older than either, the guard serves the fallback, the record names the guard
``stale`` and the reason gives the age and the limit. A timestamp more than a day in the
future is no decision input either (it is usually a unit mistake, milliseconds for
seconds) and is refused the same way, naming the fix. Timestamps are epoch seconds,
``datetime`` objects (naive ones are read as UTC) or ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from telltale.spec.model import ServiceSpec
from telltale.wire import RecordLimits, ts_problem

_FUTURE = RecordLimits(max_future_s=86_400.0)


class StalenessGate:
    """Compiled from a spec; ``None`` from ``for_spec`` when the spec sets no limit."""

    __slots__ = ("event_max", "fields")

    def __init__(self, event_max: float | None, fields: list[tuple[str, float]]) -> None:
        self.event_max = event_max
        self.fields = fields

    @classmethod
    def for_spec(cls, spec: ServiceSpec) -> StalenessGate | None:
        fields = [(name, f.max_staleness_s) for name, f in spec.inputs.items()
                  if f.type == "timestamp" and f.required and f.max_staleness_s is not None]
        event_max = spec.guard.max_staleness_s
        return cls(event_max, fields) if (fields or event_max is not None) else None

    def check(self, record: Mapping[str, Any], event_ts: float | None, now: float) -> str | None:
        """Why the call's inputs are too old (or impossible) to decide on; None when fresh."""
        if self.event_max is not None and event_ts is not None:
            why = _age_problem("event_ts", float(event_ts), self.event_max, now, "guard.max_staleness_s")
            if why:
                return why
        for name, limit in self.fields:
            ts = _epoch(record.get(name))
            if ts is None:
                continue  # missing, null or unreadable: the contract already answered that
            why = _age_problem(f"input {name}", ts, limit, now, f"inputs.{name}.max_staleness_s")
            if why:
                return why
        return None


def _age_problem(what: str, ts: float, limit: float, now: float, key: str) -> str | None:
    age = now - ts
    if age > limit:
        return f"{what} is {age:.6g} s old; the most is {limit:g} s ({key}): the upstream feed or join is late"
    future = ts_problem(ts, now, _FUTURE)
    if future:
        return f"{what} {future}"
    return None


def _epoch(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(v, str):
        try:
            d = datetime.fromisoformat(v)
        except ValueError:
            return None
        return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()
    return None
