"""What one receiver is told about one group: the typed value the outbox stores and sends.

A notification is a snapshot of a group (one incident of one service, or one alert for
an Alertmanager receiver): its alerts with their states at flush time. The outbox keeps
at most one pending notification per receiver and group and replaces its snapshot with
a newer one, so a receiver that was down hears the latest state once, not every step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from telltale.types import Alert


def alert_to_dict(a: Alert) -> dict[str, Any]:
    return {
        "fingerprint": a.fingerprint, "service": a.service, "family": a.family, "severity": a.severity,
        "state": a.state, "title": a.title, "message": a.message, "source": a.source,
        "starts_at": a.starts_at, "ends_at": a.ends_at, "incident": a.incident, "labels": dict(a.labels),
    }


def alert_from_dict(d: dict[str, Any]) -> Alert:
    return Alert(
        fingerprint=d["fingerprint"], service=d["service"], family=d["family"], severity=d["severity"],
        state=d["state"], title=d["title"], message=d["message"], source=d["source"],
        starts_at=float(d["starts_at"]), ends_at=None if d.get("ends_at") is None else float(d["ends_at"]),
        incident=d.get("incident"), labels={str(k): str(v) for k, v in (d.get("labels") or {}).items()},
    )


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one receiver about one group of alerts."""

    project: str
    service: str
    receiver: str
    group_key: str
    family: str
    owner: str | None
    flushed_at: float
    alerts: tuple[Alert, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        """``firing`` while any alert of the group fires, else ``resolved``."""
        return "firing" if self.firing else "resolved"

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.state == "firing"]

    @property
    def incident(self) -> str | None:
        return next((a.incident for a in self.alerts if a.incident), None)

    @property
    def severity(self) -> str:
        live = self.firing or list(self.alerts)
        return "critical" if any(a.severity == "critical" for a in live) else "warning"

    def to_json(self) -> str:
        return json.dumps({
            "project": self.project, "service": self.service, "receiver": self.receiver, "group_key": self.group_key,
            "family": self.family, "owner": self.owner, "flushed_at": self.flushed_at,
            "alerts": [alert_to_dict(a) for a in self.alerts],
        }, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Notification:
        d = json.loads(text)
        return cls(project=d["project"], service=d["service"], receiver=d["receiver"], group_key=d["group_key"],
                   family=d["family"], owner=d.get("owner"), flushed_at=float(d["flushed_at"]),
                   alerts=tuple(alert_from_dict(a) for a in d["alerts"]))


def iso(t: float) -> str:
    """Epoch seconds as RFC 3339 UTC with milliseconds (what PagerDuty and Alertmanager read)."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
