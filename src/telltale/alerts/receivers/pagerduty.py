"""PagerDuty Events API v2: one ``trigger`` per incident while it fires, ``resolve`` when it ends.

The ``dedup_key`` names the group (project, service, incident), so re-sends and the
consequences of one cause update one PagerDuty incident instead of paging again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from telltale.alerts.notification import Notification, iso
from telltale.alerts.receivers._secrets import secret
from telltale.alerts.transport import HttpRequest

if TYPE_CHECKING:
    from telltale.spec.alerting import PagerDutyReceiver

#: PagerDuty's limits: summary 1,024 characters, dedup_key 255.
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255


def dedup_key(n: Notification) -> str:
    return f"telltale/{n.project}/{n.service}/{n.group_key}"[:MAX_DEDUP_KEY]


def payload(n: Notification, routing_key: str) -> dict[str, Any]:
    if not n.firing:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(n)}
    firing = n.firing
    first = firing[0]
    more = len(firing) - 1
    summary = f"{n.service}: {first.title}" + (f" (+{more} related)" if more else "")
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(n),
        "client": "telltale",
        "payload": {
            "summary": summary[:MAX_SUMMARY],
            "source": f"telltale/{n.service}",
            "severity": n.severity,
            "timestamp": iso(min(a.starts_at for a in firing)),
            "component": n.service,
            "group": n.family,
            "class": first.source.split(":", 1)[0],
            "custom_details": {
                "owner": n.owner, "incident": n.incident,
                "alerts": [{"fingerprint": a.fingerprint, "severity": a.severity, "title": a.title,
                            "message": a.message, "source": a.source} for a in firing],
            },
        },
    }


def render(n: Notification, cfg: PagerDutyReceiver, *, now: float, delivery_id: str) -> HttpRequest:
    key = secret(cfg.routing_key, cfg.routing_key_env, "pagerduty routing_key_env") or ""
    return HttpRequest(cfg.url, json.dumps(payload(n, key), separators=(",", ":")).encode())
