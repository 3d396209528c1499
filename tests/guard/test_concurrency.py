"""Many threads through one guard with a flaky model: every call counted and recorded
once, no slot leaked, the breaker in a legal state."""

from __future__ import annotations

import random
import threading

from telltale.guard import Guard
from tests.guard.conftest import GOOD, make_spec, rules


def test_eight_threads_with_a_flaky_model(recorder):
    spec = make_spec(guard={
        "breaker": {"window_size": 50, "min_calls": 20, "failure_rate": 0.6, "open_wait_s": 0.01, "half_open_calls": 3},
        "retry": {"max_attempts": 2, "retry_on": ["ConnectionError"], "backoff_s": 0.0},
        "bulkhead": {"max_concurrent": 3, "max_wait_ms": 1},
    })
    rng = random.Random(7)
    lock = threading.Lock()

    def flaky(r):
        with lock:
            roll = rng.random()
        if roll < 0.3:
            raise ConnectionError("blip")
        return 10.0

    g = Guard(spec, flaky, rules, recorder=recorder)

    def caller():
        for _ in range(500):
            d = g.predict(GOOD)
            assert d.source in ("model", "rules")

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    s = g.stats
    ids = [r.id for r in recorder.records]
    assert len(ids) == len(set(ids)) == s.calls == 4000
    assert sum(s.by_source.values()) == 4000
    assert s.in_flight == 0 and s.peak_in_flight <= 3
    assert s.breaker_state in ("closed", "open", "half_open")
    assert 0 <= s.retry_tokens <= 10
