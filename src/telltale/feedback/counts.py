"""Mergeable counts of what people did with decisions, per hour and actor.

One row per (service, hour of the feedback, actor): how many decisions got feedback,
how many of each action, and for each flag (``label: {hallucination: true}``) how many
said true out of how many gave it. Rows add up to any window and any set of actors, so
trust rates cost the same whatever the traffic.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from telltale.feedback.event import ACTIONS, FeedbackEvent

#: One encoder for every row (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"))


@dataclass(slots=True)
class TrustCounts:
    total: int = 0
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    flags: dict[str, list[int]] = field(default_factory=dict)  # name -> [true, given]

    def add(self, e: FeedbackEvent, sign: int = 1) -> None:
        self.total += sign
        if e.action is not None:
            self.actions[e.action] = self.actions.get(e.action, 0) + sign
        for name, v in e.flags.items():
            c = self.flags.setdefault(name, [0, 0])
            c[0] += sign * bool(v)
            c[1] += sign

    def merge(self, other: TrustCounts) -> TrustCounts:
        out = TrustCounts(self.total + other.total, dict(self.actions), {k: list(v) for k, v in self.flags.items()})
        for a, n in other.actions.items():
            out.actions[a] = out.actions.get(a, 0) + n
        for k, (t, g) in other.flags.items():
            c = out.flags.setdefault(k, [0, 0])
            c[0] += t
            c[1] += g
        return out

    def to_json(self) -> str:
        return _ENCODER.encode({"total": self.total, "actions": self.actions, "flags": self.flags})

    @classmethod
    def from_json(cls, text: str) -> TrustCounts:
        d = json.loads(text)
        return cls(d["total"], {**dict.fromkeys(ACTIONS, 0), **d["actions"]}, d.get("flags", {}))


def hour_of(ts: float) -> int:
    """The start of the hour of ``ts``: trust counts are kept per feedback hour."""
    return int(math.floor(ts / 3600.0)) * 3600


def counts_by_hour(events: Sequence[FeedbackEvent]) -> dict[tuple[int, str], TrustCounts]:
    """The counts of ``events`` per (hour of their ``ts``, actor, '' for none): what
    ``TrustCounts.add`` of each gives, counted per distinct (hour, actor, action) rather
    than event by event (flags, rarer, one by one)."""
    out: dict[tuple[int, str], TrustCounts] = {}
    hours = [hour_of(e.ts) for e in events]
    actors = [e.actor or "" for e in events]
    for (hour, actor, action), n in Counter(zip(hours, actors, [e.action for e in events])).items():
        t = out.get((hour, actor))
        if t is None:
            t = out[(hour, actor)] = TrustCounts()
        t.total += n
        if action is not None:
            t.actions[action] = t.actions.get(action, 0) + n
    for e, hour, actor in zip(events, hours, actors):
        if isinstance(e.label, dict):
            flags = out[(hour, actor)].flags
            for name, v in e.label.items():
                c = flags.setdefault(name, [0, 0])
                c[0] += bool(v)
                c[1] += 1
    return out
