"""When a receiver hears about a group: Alertmanager's group wait, group interval and repeat.

A group is one incident of one service (alerts sharing ``Alert.incident``, or one alert
alone), so a cause and its consequences make one message. For each receiver a group
is told:

- first, ``group_wait`` after its first alert fired (consequences arriving meanwhile
  join the same message);
- again, ``group_interval`` after the last message when its firing set changed (an
  alert joined, left or changed severity) or an alert resolved;
- again, ``repeat_interval`` after the last message while nothing changed but it fires;
- and never again once everything resolved and that was told.

An Alertmanager receiver groups by itself, so it gets each alert as its own group with
no wait and a repeat of its ``resend_s``: Alertmanager keeps an alert firing only while
it is re-sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from telltale.store._alerts import GroupState, LiveAlert


@dataclass(frozen=True, slots=True)
class Timing:
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float


class Verdict(Enum):
    SEND = "send"
    WAIT = "wait"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    alerts: tuple[LiveAlert, ...] = ()
    state: GroupState | None = None


def digest(firing: list[LiveAlert]) -> str:
    """A name for the set of firing alerts and their severities (order does not matter)."""
    parts = sorted(f"{a.alert.fingerprint}:{a.alert.severity}" for a in firing)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def decide(alerts: list[LiveAlert], state: GroupState | None, timing: Timing, now: float) -> Decision:
    """Whether to notify a receiver about ``alerts`` (one group, silences already applied) at ``now``."""
    told_at = state.notified_at if state is not None else float("-inf")
    firing = [a for a in alerts if a.alert.state == "firing"]
    fresh_resolved = [a for a in alerts if a.alert.state == "resolved" and a.updated_at > told_at]
    d = digest(firing)
    if state is None:
        if not firing:
            return Decision(Verdict.DONE)
        due_at = min(a.fired_at for a in firing) + timing.group_wait_s
    elif d != state.digest or fresh_resolved:
        due_at = state.notified_at + timing.group_interval_s
    elif firing:
        due_at = state.notified_at + timing.repeat_interval_s
    else:
        return Decision(Verdict.DONE)
    if now < due_at:
        return Decision(Verdict.WAIT)
    return Decision(Verdict.SEND, tuple(firing + fresh_resolved), GroupState(now, d))
