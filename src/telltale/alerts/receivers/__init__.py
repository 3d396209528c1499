"""One module per kind of receiver: each turns a notification into the request it expects.

Every ``render(n, cfg, *, now, delivery_id)`` returns an :class:`HttpRequest`; it reads
secrets from the environment at send time (a ``*_env`` setting) and raises
``MissingSecret`` when the variable is unset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telltale.alerts.receivers import alertmanager, pagerduty, slack, webhook
from telltale.alerts.receivers._secrets import MissingSecret
from telltale.alerts.transport import HttpRequest

Render = Callable[..., HttpRequest]

#: Receiver kind (the spec's key) -> its renderer.
RENDERERS: dict[str, Render] = {
    "webhook": webhook.render,
    "slack": slack.render,
    "pagerduty": pagerduty.render,
    "alertmanager": alertmanager.render,
}

#: Kinds throttled to one message a second per receiver (Slack's incoming-webhook limit).
THROTTLE_S: dict[str, float] = {"slack": 1.0}


def render(kind: str, n: Any, cfg: Any, *, now: float, delivery_id: str) -> HttpRequest:
    return RENDERERS[kind](n, cfg, now=now, delivery_id=delivery_id)


__all__ = ["RENDERERS", "THROTTLE_S", "MissingSecret", "render"]
