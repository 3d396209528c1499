"""Prometheus Alertmanager's v2 API: ``POST /api/v2/alerts`` with a list of alerts.

Labels identify an alert to Alertmanager (it fingerprints the label set), so they hold
only what is stable: ``alertname``, ``service``, ``family``, ``severity``, ``incident``
and the alert's own labels. A firing alert is sent with ``endsAt`` four resends ahead,
as Prometheus does; a resolved one with its real end, which resolves it at once.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from telltale.alerts.notification import Notification, iso
from telltale.alerts.transport import HttpRequest
from telltale.types import Alert

if TYPE_CHECKING:
    from telltale.spec.alerting import AlertmanagerReceiver

_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def labels(a: Alert) -> dict[str, str]:
    out = {_LABEL_NAME.sub("_", k) if not k[:1].isdigit() else "_" + _LABEL_NAME.sub("_", k): v for k, v in a.labels.items()}
    out |= {"alertname": a.labels.get("alertname", a.source), "service": a.service, "family": a.family,
            "severity": a.severity, "telltale_fingerprint": a.fingerprint}
    if a.incident:
        out["incident"] = a.incident
    return out


def payload(n: Notification, now: float, resend_s: float) -> list[dict[str, Any]]:
    out = []
    for a in n.alerts:
        ends = a.ends_at if a.state == "resolved" and a.ends_at is not None else (now if a.state == "resolved" else now + 4 * resend_s)
        annotations = {"summary": a.title, "description": a.message, "source": a.source}
        if n.owner:
            annotations["owner"] = n.owner
        out.append({"labels": labels(a), "annotations": annotations, "startsAt": iso(a.starts_at), "endsAt": iso(ends)})
    return out


def render(n: Notification, cfg: AlertmanagerReceiver, *, now: float, delivery_id: str) -> HttpRequest:
    body = json.dumps(payload(n, now, cfg.resend_s), separators=(",", ":")).encode()
    return HttpRequest(cfg.url.rstrip("/") + "/api/v2/alerts", body)
