"""Issue 8's loop end to end over HTTP: a guard records to a real server, labels and
actions come back six simulated hours later through ``POST .../feedback``, and the
``performance`` and ``trust`` findings come from what the server stored.

A reference week: 300 decisions whose delivery times come back 2 minutes off, 10% of
them overridden by dispatchers. A week later: 300 decisions 12 minutes off, half
overridden. The example spec's ``performance.metrics.mae`` ceiling (8 minutes) must be
crossed with a critical finding (the ``accuracy-drop`` rule's trigger), and the override
surge must be a trust finding; the reference week must raise neither.
"""

from __future__ import annotations

import pytest

from telltale.feedback import connect, performance_findings, trust_findings
from telltale.guard import Guard
from telltale.spec import load_spec
from telltale.store import Store
from telltale.types import Window

from ..conftest import EXAMPLE_SPEC
from ..server.conftest import start_server
from ..server.helpers import eta_inputs

N = 300
STEP_S = 10.0  # 300 decisions in 50 minutes
LAG_S = 6 * 3600.0
WEEK_S = 7 * 86400.0


def _model(r):
    return 10.0 + 1.5 * r["distance_km"]


def _phase(guard: Guard, clock, off_by: float, override_every: int) -> tuple[float, list[dict]]:
    start = clock.now()
    feedback = []
    for i in range(N):
        d = guard.predict(eta_inputs(i))
        assert d.source == "model", d.reasons
        act = {"action": "overridden", "value": d.value + off_by, "actor": "dispatch-lyon"} if i % override_every == 0 \
            else {"action": "accepted", "actor": "dispatch-lyon"}
        feedback.append({"id": d.id, "label": d.value + off_by, "ts": clock.now() + LAG_S, **act})
        clock.advance(STEP_S)
    return start, feedback


@pytest.mark.slow
def test_late_labels_over_http_raise_performance_and_trust_findings(tmp_path, clock) -> None:
    db = f"sqlite:///{tmp_path / 'telltale.db'}"
    spec = load_spec(EXAMPLE_SPEC)
    server = start_server(db, specs=[EXAMPLE_SPEC])
    try:
        guard = Guard(spec, model=_model, fallback=lambda r: 35.0, record_to=server.url, token=server.token, clock=clock)
        ref_start, ref_fb = _phase(guard, clock, off_by=2.0, override_every=10)
        clock.advance(WEEK_S - N * STEP_S)
        cur_start, cur_fb = _phase(guard, clock, off_by=12.0, override_every=2)
        guard.close()
        clock.advance(LAG_S)  # six hours later the delivery times and the dispatchers' actions arrive
        with connect(server.url, token=server.token) as fb:
            answers = [fb.send_many(_events(spec.service, batch)) for batch in (ref_fb, cur_fb)]
        assert [(a["accepted"], a["joined"], a["pending"]) for a in answers] == [(N, N, 0), (N, N, 0)]

        store = Store.open(db)
        hour = 3600.0
        perf_ref = performance_findings(store, "default", spec, Window.from_epoch(ref_start, ref_start + hour))
        perf_cur = performance_findings(store, "default", spec, Window.from_epoch(cur_start, cur_start + hour))
        trust_ref = trust_findings(store, "default", spec, Window.from_epoch(ref_start + LAG_S, ref_start + LAG_S + hour))
        trust_cur = trust_findings(store, "default", spec, Window.from_epoch(cur_start + LAG_S, cur_start + LAG_S + hour))
        store.close()
        with server.client() as c:
            api = c.get("/v1/services/eta/performance", params={"since": cur_start, "until": cur_start + hour, "window": hour}).json()
    finally:
        server.stop()

    assert perf_ref == [] and trust_ref == []
    by_feature = {f.feature: f for f in perf_cur}
    mae = by_feature["mae"]
    assert (mae.severity, mae.value, mae.threshold) == ("critical", pytest.approx(12.0), 8.0)
    assert "mean label delay 6.0 h" in mae.message
    (over,) = [f for f in trust_cur if f.feature == "override_rate"]
    assert over.severity == "critical" and over.value == pytest.approx(0.5)
    assert "overridden decisions rose to 50% of 300 feedback events from 10% of 300" in over.message
    (w,) = api["windows"]
    assert w["labels"] == N and w["coverage"] == 1.0 and [f["feature"] for f in w["findings"]] == ["mae"]


def _events(service: str, items: list[dict]):
    from telltale.feedback import FeedbackEvent

    return [FeedbackEvent(prediction_id=x["id"], service=service, ts=x["ts"], label=x["label"], action=x["action"],
                          value=x.get("value"), actor=x["actor"]) for x in items]
