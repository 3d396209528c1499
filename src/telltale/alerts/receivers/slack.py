"""A Slack-compatible incoming-webhook message (``text`` plus mrkdwn ``blocks``).

Slack allows one message a second per incoming webhook; the outbox throttles to that
(``THROTTLE_S``). Long groups list their first ten alerts and say how many more.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from telltale.alerts.notification import Notification
from telltale.alerts.transport import HttpRequest

if TYPE_CHECKING:
    from telltale.spec.alerting import SlackReceiver

#: Alerts listed in one message; Slack truncates a section past 3,000 characters anyway.
MAX_LISTED = 10


def payload(n: Notification) -> dict[str, Any]:
    firing = n.firing
    head = f"[{n.status.upper()}{f':{len(firing)}' if firing else ''}] {n.service} {n.family} {n.severity}"
    first = (firing or list(n.alerts))[0]
    more = len(n.alerts) - 1
    text = f"{head}: {first.title}" + (f" (+{more} more)" if more else "")
    lines = [f"- *{a.state}* {a.severity}: {a.title}: {a.message}" for a in n.alerts[:MAX_LISTED]]
    if len(n.alerts) > MAX_LISTED:
        lines.append(f"... and {len(n.alerts) - MAX_LISTED} more")
    owner = f"\nowner: {n.owner}" if n.owner else ""
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*{owner}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
        ],
    }


def render(n: Notification, cfg: SlackReceiver, *, now: float, delivery_id: str) -> HttpRequest:
    return HttpRequest(cfg.url, json.dumps(payload(n), separators=(",", ":")).encode())
