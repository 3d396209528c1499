"""Issue 9's must-show: three simulated days through a real guard recording to a real
SQLite store, the policy ticking every simulated minute, in seconds of real time.

The model's error rate rises from 0.02% to 20% at hour 30 (a 200x burn of a 99.9%
objective). The workbook's detection time for the 1 h / 14.4x page at that burn is
(1 - 0.999) / 0.2 * 1 h * 14.4 = 259.2 s; minute profiles add at most one minute, and
errors come one per 100 s at this traffic, which adds at most one such interval. The
rollback rule moves the service to the previous version; the guard serves it within
its 5 s poll; the page resolves once the short window is clean. Nothing fires in the
first 29 hours, and a 30-second burst of errors at hour 20 never pages.

The policy ticks every simulated minute, as ``telltale serve`` runs it, from ten minutes
before the burst and the rise to ninety minutes after them, and every 15 minutes elsewhere
(each tick writes a batch and costs milliseconds; 4,320 of them would not fit the
suite's budget). A tick only reads closed minutes, so the cadence changes when a
verdict is seen, never what it is.
"""

from __future__ import annotations

import time

import pytest

from telltale.clock import ManualClock
from telltale.guard import Guard
from telltale.policy import tick
from telltale.store import Store
from tests.guard.conftest import GOOD, make_spec, rules

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOUR = 3600.0
STEP = 20.0  # one decision every 20 simulated seconds: 180 an hour
RISE = T0 + 30 * HOUR
SPIKE = (T0 + 20 * HOUR, T0 + 20 * HOUR + 30)
DETECTION_S = (1 - 0.999) / 0.20 * HOUR * 14.4  # 259.2 s

SLOS = [{"name": "errors", "indicator": "error_rate", "objective": 0.999, "period": "30d"}]
RULES = [{"name": "burn-rollback", "when": {"slo": "errors", "alert": "page"}, "then": ["rollback", "alert"]}]


class Model:
    """Deterministic: every 5000th call fails before hour 30 (and every call in the spike), every 5th after."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock, self.calls = clock, 0

    def __call__(self, record):
        self.calls += 1
        now = self.clock.now()
        if SPIKE[0] <= now < SPIKE[1] or self.calls % (5 if now >= RISE else 5000) == 0:
            raise RuntimeError("backend error")
        return 16.0


def _cadence(t: float) -> int:
    busy = any(start - 600 <= t < start + 90 * 60 for start in (SPIKE[0], RISE))
    return 60 if busy else 900


def _predict_after_poll(guard: Guard):
    """A call, then (if it made a control poll due) the poller's read, then a call at the
    same simulated instant: what real time between two calls gives the poller thread."""
    due, polls = guard._poller.next_due, guard.stats.control_polls
    guard.predict(GOOD)
    if guard._poller.next_due != due:  # this call nudged the poller
        end = time.monotonic() + 5
        while guard.stats.control_polls <= polls and time.monotonic() < end:
            time.sleep(0.001)
    return guard.predict(GOOD)


@pytest.mark.slow
def test_three_days_page_rollback_and_recovery(sqlite_url):
    clock = ManualClock(T0)
    spec = make_spec(slos=SLOS, rules=RULES)
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec)
    sent = []
    guard = Guard(spec, Model(clock), rules, previous=lambda r: 17.0, record_to=sqlite_url, clock=clock)
    decided_at = served_previous_at = None
    try:
        t = T0
        while t < T0 + 72 * HOUR:
            clock.set(t)
            if t % _cadence(t) == 0 and t > T0:  # record what closed, then run the policy as `telltale serve` does
                assert guard.flush(10.0)
                if tick(store, t, notify=lambda project, alert: sent.append(alert)).changes and decided_at is None:
                    decided_at = t
            if decided_at is None or served_previous_at is not None:
                guard.predict(GOOD)
                t += STEP
                continue
            if _predict_after_poll(guard).model_version == "v1":  # probing each second after the decision
                served_previous_at = t
                t = (t // STEP + 1) * STEP
            else:
                t += 1.0
    finally:
        guard.close()

    pages = [a for a in sent if a.source == "slo:errors" and a.labels["alert"] == "page"]
    assert [a for a in sent if a.starts_at < T0 + 29 * HOUR] == []  # the spike at hour 20 paged nobody
    assert [a.state for a in pages] == ["firing", "resolved"]
    fired, resolved = pages
    assert fired.severity == "critical" and fired.family == "platform"
    assert RISE < fired.starts_at <= RISE + DETECTION_S + 60 + 100, (fired.starts_at - RISE, DETECTION_S)
    assert decided_at == fired.starts_at  # the rule acted on the same tick
    assert served_previous_at is not None and served_previous_at - decided_at <= 5.0
    assert fired.starts_at < resolved.ends_at <= decided_at + 15 * 60  # resolved once the 5m window is clean

    audit = store.control_audit("default", "eta")
    assert [(e.mode_from, e.mode_to, e.actor, e.at) for e in audit] == [("normal", "rollback", "rule:burn-rollback", decided_at)]
    assert audit[0].reason.startswith("rule burn-rollback: SLO 'errors' burn-rate page is firing")
    rule_alerts = [a for a in sent if a.source == "rule:burn-rollback"]
    assert [a.state for a in rule_alerts] == ["firing", "resolved"]
    assert rule_alerts[0].message.endswith("; then rollback")
    after = store.read_predictions("default", "eta", decided_at + 10, T0 + 72 * HOUR, limit=100)
    assert {r.model_version for r in after} == {"v1"}
    store.close()
