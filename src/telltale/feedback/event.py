"""One piece of feedback on one decision: what a person (or a later system) said about it.

``label`` is the truth once known (the class or the number the model should have given);
a mapping of names to booleans instead (``{"hallucination": True}``) is a set of flags
whose rates are tracked, not a target. ``action`` is what the person did with the
decision: ``accepted``, ``overridden`` (``value`` is what they chose instead),
``ignored`` or ``corrected`` (``value`` is the corrected output). When no label is given,
the value of an override or a correction stands in for it.

``key`` makes delivery idempotent: the same event sent twice is stored once. Callers may
set it; otherwise it is derived from the event's content, so a replayed batch counts once
while two different labels for the same decision are two events (the later one replaces
the earlier, and both stay in the history).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

#: What a person can do with a decision.
ACTIONS: tuple[str, ...] = ("accepted", "overridden", "ignored", "corrected")
#: Actions whose ``value`` stands in for a missing label.
VALUE_IS_LABEL = frozenset({"overridden", "corrected"})
MAX_ACTOR_LEN = 200
MAX_FLAGS = 32


@dataclass(slots=True, frozen=True)
class FeedbackEvent:
    """Feedback on the decision ``prediction_id`` of ``service``, given at ``ts`` (epoch seconds)."""

    prediction_id: str
    service: str
    ts: float
    label: Any = None
    action: str | None = None
    value: Any = None
    actor: str | None = None
    key: str = ""

    def __post_init__(self) -> None:
        problem = validate(self.label, self.action, self.value, self.actor)
        if problem is not None:
            field, reason = problem
            raise ValueError(f"feedback for {self.prediction_id!r}: {field} {reason}")
        if not isinstance(self.ts, (int, float)) or not math.isfinite(self.ts):
            raise ValueError(f"feedback for {self.prediction_id!r}: ts must be a finite number of epoch seconds, got {self.ts!r}")
        if not self.key:
            object.__setattr__(self, "key", event_key(self.prediction_id, {
                "ts": self.ts, "label": self.label, "action": self.action, "value": self.value, "actor": self.actor}))

    @property
    def flags(self) -> dict[str, bool]:
        return dict(self.label) if isinstance(self.label, dict) else {}

    @property
    def target(self) -> Any:
        """The label the decision is scored against, or None (flags, or no label yet)."""
        if self.label is not None and not isinstance(self.label, dict):
            return self.label
        if self.action in VALUE_IS_LABEL and self.value is not None:
            return self.value
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.prediction_id, "ts": self.ts, "label": self.label, "action": self.action,
                "value": self.value, "actor": self.actor, "key": self.key}


def validate(label: Any, action: Any, value: Any, actor: Any) -> tuple[str, str] | None:
    """(field, reason) for the first thing wrong with an event's content, or None."""
    if action is not None and action not in ACTIONS:
        return "action", f"must be one of {', '.join(ACTIONS)}, got {action!r}"
    if label is None and action is None:
        return "label", "is missing and so is action; send a label, an action, or both"
    if action == "overridden" and value is None:
        return "value", "is missing: an override carries the value the person chose instead"
    if isinstance(label, dict):
        if not label or len(label) > MAX_FLAGS:
            return "label", f"as flags must map 1 to {MAX_FLAGS} names to true or false, got {len(label)} names"
        for k, v in label.items():
            if not isinstance(k, str) or not k or len(k) > 64 or not isinstance(v, bool):
                return f"label.{k}", "must be a name of at most 64 characters mapped to true or false"
    elif isinstance(label, list):
        return "label", "must be a class, a number or an object of flags, not a list"
    if actor is not None and (not isinstance(actor, str) or not actor or len(actor) > MAX_ACTOR_LEN or "\x00" in actor):
        return "actor", f"must be a non-empty string of at most {MAX_ACTOR_LEN} characters or null"
    return None


def event_key(prediction_id: str, content: dict[str, Any]) -> str:
    """A stable key for an event's content: the same content always gives the same key."""
    text = json.dumps([prediction_id, content], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]
