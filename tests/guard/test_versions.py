"""Shadow and canary: the shadow's answers are recorded and never returned; the canary
takes its share of traffic, sticky by key."""

from __future__ import annotations

import threading
import time

import pytest
from scipy import stats

from telltale.guard import Guard, Version
from telltale.guard.versions import CanaryRouter, key_share
from tests.guard.conftest import GOOD, eta_model, make_spec, rules


def _until(cond, timeout=3.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def test_shadow_outputs_are_recorded_never_returned(recorder):
    shadow_threads = []

    def shadow(r):
        shadow_threads.append(threading.current_thread().name)
        return 999.0

    g = Guard(make_spec(), eta_model, rules, recorder=recorder, shadow=Version(shadow, "v3"))
    try:
        decisions = [g.predict({**GOOD, "distance_km": float(i)}) for i in range(20)]
        assert all(d.source == "model" and d.value != 999.0 for d in decisions)
        assert _until(lambda: len(recorder.records) == 40)
        shadows = {r.id: r for r in recorder.records if r.source == "shadow"}
        assert len(shadows) == 20
        for d in decisions:
            s = shadows[f"{d.id}.shadow"]
            assert (s.output, s.model_version, s.inputs) == (999.0, "v3", {**GOOD, "distance_km": d.value / 2 - 5})
            assert s.reasons == [f"shadow of call {d.id}; the caller got {d.value!r} from model"]
        assert all(name.startswith("telltale-shadow") for name in shadow_threads)  # off the hot path
        assert g.stats.shadow["runs"] == 20
    finally:
        g.close()


def test_a_failing_or_slow_shadow_never_touches_the_caller(recorder):
    gate = threading.Event()

    def shadow(r):
        gate.wait(5)
        raise RuntimeError("shadow broke")

    g = Guard(make_spec(), eta_model, rules, recorder=recorder, shadow=shadow)
    try:
        t0 = time.perf_counter()
        d = g.predict(GOOD)
        assert time.perf_counter() - t0 < 0.1 and d.source == "model"
        gate.set()
        assert _until(lambda: len(recorder.records) == 2)
        s = [r for r in recorder.records if r.source == "shadow"][0]
        assert s.output is None and s.reasons[-1] == "shadow model raised RuntimeError: shadow broke"
    finally:
        g.close()


def test_canary_is_sticky_by_key_and_takes_its_share(recorder):
    spec = make_spec(guard={"canary_share": 0.2})
    g = Guard(spec, eta_model, rules, recorder=recorder, canary=Version(lambda r: 2.0, "v3"), key="user")
    first = {}
    for u in range(5000):
        d = g.predict(GOOD, key=f"user-{u}")
        first[u] = d.source
        assert d.model_version == ("v3" if d.source == "canary" else "v2")
    again = {u: g.predict(GOOD, key=f"user-{u}").source for u in range(5000)}
    assert again == first  # sticky
    n = sum(s == "canary" for s in first.values())
    # binomial(5000, 0.2): a two-sided 99.9% interval computed with SciPy
    lo, hi = stats.binom.interval(0.999, 5000, 0.2)
    assert lo <= n <= hi, (n, lo, hi)


def test_canary_key_from_a_field_or_a_function():
    by_field = CanaryRouter(0.5, "user")
    by_fn = CanaryRouter(0.5, lambda r: r["user"])
    for u in range(200):
        rec = {"user": f"u{u}"}
        assert by_field.pick(rec) == by_fn.pick(rec) == (key_share(f"u{u}") < 0.5)


def test_key_share_is_uniform():
    xs = [key_share(i) for i in range(20000)]
    assert stats.kstest(xs, "uniform").pvalue > 0.001


def test_canary_failure_falls_back_like_the_primary(recorder):
    def bad(r):
        raise TimeoutError("canary slow")

    g = Guard(make_spec(guard={"canary_share": 1.0}), eta_model, rules, recorder=recorder, canary=bad)
    d = g.predict(GOOD)
    assert d.source == "rules" and d.reasons[0] == "model v2+canary raised TimeoutError: canary slow"


def test_share_outside_unit_interval_is_refused():
    with pytest.raises(ValueError, match="canary share must be in"):
        CanaryRouter(1.5, None)


def test_shadow_records_can_go_to_their_own_recorder(recorder):
    from telltale.record.memory import MemoryRecorder

    shadows = MemoryRecorder()
    g = Guard(make_spec(), eta_model, rules, recorder=recorder, shadow=lambda r: 1.0, shadow_recorder=shadows)
    try:
        d = g.predict(GOOD)
        assert _until(lambda: len(shadows.records) == 1)
        assert [r.id for r in recorder.records] == [d.id]
        assert shadows.records[0].id == f"{d.id}.shadow"
    finally:
        g.close()
