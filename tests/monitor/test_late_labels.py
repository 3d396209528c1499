"""Late labels: a window judged at its close is judged again when labels for its predictions arrive."""

from __future__ import annotations

from telltale.clock import ManualClock
from telltale.feedback import FeedbackEvent
from telltale.monitor.tick import tick_service
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord, StoredFinding

T0 = 1_767_225_600.0
W = 3600.0  # hour windows: the first tick's day of backfill is 24 of them
BASE = ("owner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
        "performance: {metrics: {accuracy: {min: 0.8}}, min_labels: 10%s}\n")


def test_labels_after_the_close_rejudge_the_window_within_the_horizon_only(db_url) -> None:
    clock = ManualClock(T0)
    store = Store.open(db_url, clock=clock)
    recent = parse_spec("service: recent\n" + BASE % "")
    short = parse_spec("service: short\n" + BASE % ", label_horizon_s: 600")

    def tick() -> list[int]:
        return [tick_service(store, "p", spec, clock.now(), window_s=W).late for spec in (recent, short)]

    clock.set(T0 + W)
    for spec in (recent, short):
        store.put_service("p", spec)
        store.write_predictions("p", _records(spec.service, T0, 20))
    clock.set(T0 + W + 30)  # hour 0 closes (the first tick looks back a day): no labels yet, nothing to find
    assert tick() == [0, 0] and _performance(store, "recent") == []
    clock.set(T0 + 2 * W + 15)  # later traffic, unlabelled, moves the profile watermark past hour 0
    for spec in (recent, short):
        store.write_predictions("p", _records(spec.service + "-later", T0 + 2 * W + 10, 1))
    clock.set(T0 + 2 * W + 30)
    tick()  # (hour 0 again too: its profiles are within the watermark's 2-minute lookback)

    clock.set(T0 + 4 * W)  # hours later every label says the model was wrong
    for spec in (recent, short):
        store.write_feedback("p", [FeedbackEvent(f"{spec.service}{i}", spec.service, clock.now(), label="leave") for i in range(20)])
    assert tick() == [1, 0]  # the short horizon (10 minutes) has passed: no second verdict
    (found,) = _performance(store, "recent")
    assert (found.kind, found.feature, found.severity, found.opened) == ("performance", "accuracy", "critical", T0)
    assert found.latest.value == 0.0 and "realized accuracy 0 " in found.latest.message
    assert _performance(store, "short") == []
    assert store.label_marks("p", "recent", T0 + 5 * W) == [] and store.label_marks("p", "short", T0 + 5 * W) == []

    clock.advance(W)  # no new labels: judging again (an hour closes) keeps the same memory
    tick()
    assert _performance(store, "recent") == [found] and _performance(store, "short") == []
    store.close()


def _records(prefix: str, start: float, n: int) -> list[PredictionRecord]:
    service = prefix.split("-")[0]
    return [PredictionRecord(id=f"{prefix}{i}", service=service, ts=start + 10 * i, inputs={"x": float(i)}, output="stay",
                             confidence=0.9) for i in range(n)]


def _performance(store: Store, service: str) -> list[StoredFinding]:
    return [f for f in store.findings("p", service, state="all") if f.kind == "performance"]
