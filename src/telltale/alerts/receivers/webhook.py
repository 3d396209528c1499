"""The generic JSON webhook, signed with HMAC-SHA256.

The body is the notification as JSON (see docs/alerts.md for its fields). With a secret,
three headers come with it:

- ``X-Telltale-Timestamp``: epoch seconds when it was signed;
- ``X-Telltale-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed by the secret, of
  the timestamp, a dot, and the raw body bytes;
- ``X-Telltale-Delivery``: the outbox id and a digest of the body, the same on every retry
  of one message (to drop duplicates) and new when the group's message changes.

A receiver recomputes the HMAC over ``f"{timestamp}.".encode() + body``, compares it in
constant time, and refuses timestamps more than five minutes from its own clock:
:func:`verify` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from telltale.alerts.notification import Notification, alert_to_dict
from telltale.alerts.receivers._secrets import secret
from telltale.alerts.transport import HttpRequest

if TYPE_CHECKING:
    from telltale.spec.alerting import WebhookReceiver

#: How far a signature's timestamp may be from the receiver's clock (as Stripe and Slack allow).
TOLERANCE_S = 300


def body(n: Notification, now: float) -> dict[str, Any]:
    return {
        "version": "1", "receiver": n.receiver, "status": n.status, "project": n.project, "service": n.service,
        "group_key": n.group_key, "incident": n.incident, "family": n.family, "owner": n.owner,
        "severity": n.severity, "sent_at": now, "alerts": [alert_to_dict(a) for a in n.alerts],
    }


def sign(key: str, timestamp: int, raw: bytes) -> str:
    return "v1=" + hmac.new(key.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()


def verify(key: str, timestamp: str, raw: bytes, signature: str, now: float, tolerance_s: float = TOLERANCE_S) -> bool:
    """True when ``signature`` is ``raw``'s under ``key`` and ``timestamp`` is recent."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    return abs(now - ts) <= tolerance_s and hmac.compare_digest(sign(key, ts, raw), signature)


def render(n: Notification, cfg: WebhookReceiver, *, now: float, delivery_id: str) -> HttpRequest:
    raw = json.dumps(body(n, now), separators=(",", ":"), sort_keys=True).encode()
    headers = {"X-Telltale-Delivery": delivery_id}
    key = secret(cfg.secret, cfg.secret_env, "webhook secret_env")
    if key:
        ts = int(now)
        headers |= {"X-Telltale-Timestamp": str(ts), "X-Telltale-Signature": sign(key, ts, raw)}
    return HttpRequest(cfg.url, raw, headers)
