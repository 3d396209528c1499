"""The spec's ``alerting`` section: receivers, routes per signal family, and timing.

``owners`` says who is responsible for each signal family; ``alerting.routes`` says
where that family's alerts are sent (receiver names), and ``alerting.receivers`` how to
reach each one. An alert goes to the receivers of its family: the part that failed
(DESIGN.md failure 20). Timing follows Prometheus Alertmanager's meanings and defaults.

Receiver URLs on loopback, private or link-local addresses are refused here (at save)
unless the receiver says ``allow_private: true``; the same check runs again on the
resolved addresses at send time, against DNS rebinding (``telltale.alerts.netguard``).
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telltale.types import FAMILIES

SeverityName = Literal["critical", "warning"]
_ALL_SEVERITIES: tuple[SeverityName, ...] = ("critical", "warning")

#: PagerDuty's Events API v2 endpoint (the ``url`` can point at a stand-in for tests).
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Http(_Strict):
    """What every HTTP receiver has: a URL, a timeout, and whether private targets are allowed."""

    url: str
    allow_private: bool = Field(default=False, description="allow a loopback, private or link-local target")
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _public_url(self) -> _Http:
        problem = url_problem(self.url, self.allow_private)
        if problem:
            raise ValueError(problem)
        return self


class WebhookReceiver(_Http):
    """A generic JSON webhook, signed with HMAC-SHA256 when a secret is given
    (``secret`` inline or ``secret_env``, the name of an environment variable)."""

    secret: str | None = None
    secret_env: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookReceiver:
        if self.secret and self.secret_env:
            raise ValueError("give secret or secret_env, not both")
        return self


class SlackReceiver(_Http):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)."""


class PagerDutyReceiver(_Http):
    """PagerDuty Events API v2: ``routing_key`` (or ``routing_key_env``) of the service's integration."""

    url: str = PAGERDUTY_EVENTS_URL
    routing_key: str | None = None
    routing_key_env: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> PagerDutyReceiver:
        if bool(self.routing_key) == bool(self.routing_key_env):
            raise ValueError("give exactly one of routing_key or routing_key_env")
        return self


class AlertmanagerReceiver(_Http):
    """A Prometheus Alertmanager (its base URL); alerts go to ``POST /api/v2/alerts``.

    Firing alerts are re-sent every ``resend_s`` with ``endsAt`` four resends ahead, as
    Prometheus does (``--rules.alert.resend-delay`` 1 m), so Alertmanager keeps them
    firing while telltale does and resolves them if telltale goes silent.
    """

    resend_s: float = Field(default=60.0, ge=5, le=3600)


ReceiverKind = Literal["webhook", "slack", "pagerduty", "alertmanager"]


class Receiver(_Strict):
    """One destination: exactly one of ``webhook``, ``slack``, ``pagerduty``, ``alertmanager``."""

    webhook: WebhookReceiver | None = None
    slack: SlackReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    alertmanager: AlertmanagerReceiver | None = None
    severities: list[SeverityName] = Field(default_factory=lambda: list(_ALL_SEVERITIES),
                                           description="the severities this receiver hears")

    @model_validator(mode="after")
    def _exactly_one(self) -> Receiver:
        given = [k for k in ("webhook", "slack", "pagerduty", "alertmanager") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a receiver needs exactly one of webhook, slack, pagerduty or alertmanager, got {len(given)}"
                             + (f" ({', '.join(given)})" if given else ""))
        if not self.severities:
            raise ValueError("severities is empty: the receiver would hear nothing; list critical and/or warning")
        return self

    @property
    def kind(self) -> ReceiverKind:
        for k in ("webhook", "slack", "pagerduty", "alertmanager"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("unreachable: validated to hold exactly one")

    @property
    def target(self) -> _Http:
        target: _Http = getattr(self, self.kind)
        return target


class Alerting(_Strict):
    """Receivers, routes per family, and notification timing.

    Timing defaults are Alertmanager's: wait 30 s after a group's first alert so its
    consequences join it before the first message; then at most one message per group
    every 5 min while it changes; and a reminder every 4 h while it keeps firing.
    Delivery retries back off from 10 s doubling to 5 min (a receiver back within a
    minute hears within seconds, one down for hours costs a try every 5 min); a
    receiver's breaker opens after 5 failures in a row and lets one try through a
    minute later. A notification undelivered for a day is given up (and recorded).
    """

    receivers: dict[str, Receiver] = Field(default_factory=dict)
    routes: dict[str, list[str]] = Field(default_factory=dict, description="signal family -> receiver names")
    group_wait_s: float = Field(default=30.0, ge=0, le=3600)
    group_interval_s: float = Field(default=300.0, ge=1, le=86400)
    repeat_interval_s: float = Field(default=14400.0, ge=60, le=7 * 86400)
    backoff_s: float = Field(default=10.0, gt=0, le=3600)
    max_backoff_s: float = Field(default=300.0, gt=0, le=86400)
    breaker_failures: int = Field(default=5, ge=1, le=100)
    breaker_open_s: float = Field(default=60.0, gt=0, le=86400)
    give_up_after_s: float = Field(default=86400.0, ge=60)

    @model_validator(mode="after")
    def _routes_known(self) -> Alerting:
        for family, names in self.routes.items():
            if family not in FAMILIES:
                raise ValueError(f"routes.{family}: {family!r} is not a signal family; use one of {', '.join(FAMILIES)}")
            for name in names:
                if name not in self.receivers:
                    known = ", ".join(sorted(self.receivers)) or "none are declared"
                    raise ValueError(f"routes.{family}: receiver {name!r} is not declared under alerting.receivers ({known})")
        if self.max_backoff_s < self.backoff_s:
            raise ValueError(f"max_backoff_s {self.max_backoff_s:g} is below backoff_s {self.backoff_s:g}")
        return self

    def receivers_for(self, family: str) -> list[tuple[str, Receiver]]:
        """The (name, receiver) pairs an alert of ``family`` goes to, in the route's order."""
        return [(n, self.receivers[n]) for n in self.routes.get(family, [])]


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a receiver target, or None. Only literal addresses and
    ``localhost`` can be judged without DNS; names are checked again when resolved at send."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url!r} must be an http:// or https:// URL with a host"
    if allow_private:
        return None
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return f"url {url!r} points at loopback; set allow_private: true if that is intended"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    reason = private_reason(addr)
    return f"url {url!r} points at a {reason} address; set allow_private: true if that is intended" if reason else None


def private_reason(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """``loopback``, ``link-local``, ``private`` (and other non-public kinds), or None when public."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        return "non-routable"
    if addr.is_private or not addr.is_global:
        return "private"
    return None
