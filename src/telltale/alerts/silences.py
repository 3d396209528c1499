"""Silences: a person mutes alerts matching some labels until an expiry.

A silence matches an alert when every matcher equals the alert's value for that name:
``service``, ``family``, ``severity``, ``fingerprint``, ``incident``, ``source`` or any
of its labels. A silenced alert is left out of notifications (it still fires, and shows
in the API and the timeline); when the silence expires and it still fires, its group
hears about it at the next group interval. Every silence has an expiry: nothing is
muted for ever by accident.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telltale.types import Alert

#: The longest a silence may last: a month. Longer means the alert is wrong; fix the rule.
MAX_SILENCE_S = 31 * 86400.0

#: Names a matcher may use besides the alert's own labels.
ALERT_FIELDS = ("service", "family", "severity", "fingerprint", "incident", "source")


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    project: str
    matchers: dict[str, str]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, alert: Alert) -> bool:
        return all(_value(alert, k) == v for k, v in self.matchers.items())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project, "matchers": dict(self.matchers), "starts_at": self.starts_at,
                "ends_at": self.ends_at, "created_by": self.created_by, "comment": self.comment}


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    """What a person asks for; validated by :func:`new_silence`."""

    matchers: Mapping[str, str]
    duration_s: float
    created_by: str
    comment: str
    starts_at: float | None = None


def new_silence(project: str, req: SilenceRequest, now: float) -> Silence:
    """A silence from ``req``, or ValueError naming the field, the value and the limit."""
    if not req.matchers:
        raise ValueError("matchers is empty: a silence must name at least one of service, family, severity, fingerprint, incident, source or a label")
    for k, v in req.matchers.items():
        if not isinstance(k, str) or not k or not isinstance(v, str) or not v:
            raise ValueError(f"matchers.{k}: names and values must be non-empty strings, got {v!r}")
    if not 0 < req.duration_s <= MAX_SILENCE_S:
        raise ValueError(f"duration must be more than 0 and at most {MAX_SILENCE_S / 86400:g} days, got {req.duration_s:.0f} s ({req.duration_s / 86400:.4g} days)")
    if not req.created_by.strip():
        raise ValueError("created_by is empty: say who silences (a name or an email)")
    if not req.comment.strip():
        raise ValueError("comment is empty: say why, so the next person on call knows")
    start = now if req.starts_at is None else float(req.starts_at)
    return Silence(id=secrets.token_hex(8), project=project, matchers=dict(req.matchers), starts_at=start,
                   ends_at=start + req.duration_s, created_by=req.created_by.strip(), comment=req.comment.strip())


def silenced(alert: Alert, silences: list[Silence], now: float) -> bool:
    return any(s.active(now) and s.matches(alert) for s in silences)


def _value(alert: Alert, name: str) -> str | None:
    if name in ALERT_FIELDS:
        v = getattr(alert, name)
        return None if v is None else str(v)
    return alert.labels.get(name)
