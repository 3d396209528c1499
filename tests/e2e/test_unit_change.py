"""Issue 2's story end to end: upstream switches prep_time_s from seconds to milliseconds.

A real scikit-learn model behind a real Guard records to a real SQLite file; a real
server on that file answers the findings route. The unit finding must appear in the
first window after the switch and never before, and the guard must have served the
fallback for every switched record because the field's range is required.
"""

from __future__ import annotations

import pytest

from telltale.demo.eta_data import generate
from telltale.demo.eta_model import EtaModel, rules_eta
from telltale.guard import Guard
from telltale.record import recorder_for

from ..conftest import EXAMPLE_SPEC
from ..server.conftest import start_server

STEP_S = 6.0  # one order every 6 s: 1,200 orders over two hours
WINDOW_S = 600.0
N = 1200
SWITCH_AT = N // 2  # halfway: one hour in


@pytest.fixture(scope="module")
def model() -> EtaModel:
    return EtaModel().fit(generate(4000, seed=1))


@pytest.mark.slow
def test_unit_switch_is_caught_in_the_first_window_after_it_and_contained(tmp_path, clock, eta_spec, model):
    db = f"sqlite:///{tmp_path / 'telltale.db'}"
    server = start_server(db, specs=[EXAMPLE_SPEC])
    try:
        recorder = recorder_for(db, spill_dir=tmp_path / "spill", clock=clock)
        guard = Guard(eta_spec, model=model.predict_one, fallback=rules_eta, recorder=recorder, clock=clock)
        start = clock.now()
        switch_ts = start + SWITCH_AT * STEP_S
        model.predict_one(generate(1, seed=9).records()[0])  # warm up outside the guard's 150 ms budget
        sources_before, reasons_before, sources_after, reasons_after = [], [], set(), []
        for i, rec in enumerate(generate(N, seed=7).records()):
            clock.advance(STEP_S)
            if i >= SWITCH_AT:
                rec["prep_time_s"] = rec["prep_time_s"] * 1000  # the upstream now sends milliseconds
            d = guard.predict(rec)
            if i < SWITCH_AT:
                sources_before.append(d.source)
                reasons_before.append(" ".join(d.reasons))
            else:
                sources_after.add(d.source)
                reasons_after.append(" ".join(d.reasons))
        guard.close()
        recorder.close()  # the guard does not own a recorder it was given
        assert recorder.stats.written == N and not recorder.stats.dropped

        # Containment: the model served before the switch, the rules fallback after it.
        # The 150 ms budget is real time, so on a loaded machine a call may miss it:
        # allowed before the switch, but only for that reason, and rarely.
        assert sources_before.count("model") >= 0.95 * SWITCH_AT
        assert all("deadline" in r for s, r in zip(sources_before, reasons_before) if s != "model")
        assert sources_after == {"rules"}
        assert all("prep_time_s" in r for r in reasons_after)

        with server.client() as http:
            r = http.get("/v1/services/eta/findings", params={"since": start, "until": start + N * STEP_S + 1, "window": WINDOW_S})
        assert r.status_code == 200, r.text
        unit = [f for f in r.json()["findings"] if f["kind"] == "unit"]
        assert unit, r.json()
        assert {f["feature"] for f in unit} == {"prep_time_s"}
        first = min(httpx_ts(f["window"]["start"]) for f in unit)
        # the first window that holds switched records is the one containing the switch
        first_switched_window = start + ((switch_ts - start) // WINDOW_S) * WINDOW_S
        assert first == pytest.approx(first_switched_window)
        assert all(httpx_ts(f["window"]["end"]) > switch_ts for f in unit), "a unit finding before the switch"
        hit = next(f for f in unit if httpx_ts(f["window"]["start"]) == first)
        assert hit["severity"] == "critical"
        assert "1000" in hit["message"] and "millisecond" in hit["message"], hit["message"]
    finally:
        server.stop()


def httpx_ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
