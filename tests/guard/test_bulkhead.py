"""The bulkhead with real threads and real asyncio tasks: never more than the limit in
flight, the rest shed to the fallback at once and counted."""

from __future__ import annotations

import asyncio
import threading
import time

from telltale.guard import Bulkhead, Guard
from tests.guard.conftest import GOOD, make_spec, rules

SPEC = make_spec(guard={"bulkhead": {"max_concurrent": 4, "max_wait_ms": 5}})


class InFlight:
    """Counts how many calls are inside the model at once, as the model sees it."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.max = max(self.max, self.now)

    def exit(self) -> None:
        with self._lock:
            self.now -= 1


def test_32_threads_through_a_bulkhead_of_4(recorder):
    seen = InFlight()

    def slow(r):
        seen.enter()
        time.sleep(0.3)
        seen.exit()
        return 8.0

    g = Guard(SPEC, slow, rules, recorder=recorder)
    start = threading.Barrier(32)
    out: list = [None] * 32

    def caller(i):
        start.wait()
        out[i] = g.predict(GOOD)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    sources = [d.source for d in out]
    print(f"\nthreads: model saw at most {seen.max} in flight; {sources.count('model')} served, {g.stats.shed} shed")
    assert seen.max <= 4 and g.stats.peak_in_flight <= 4
    assert sources.count("model") == 4 and sources.count("rules") == 28
    assert g.stats.shed == 28 and g.stats.in_flight == 0
    shed = [d for d in out if d.source == "rules"]
    assert all(d.reasons == ["bulkhead full: 4 model calls in flight after waiting 5 ms; shed"] for d in shed)
    assert len(recorder.records) == 32
    assert sorted((r.source, r.guard) for r in recorder.records) == [("model", None)] * 4 + [("rules", "bulkhead")] * 28


def test_32_tasks_through_a_bulkhead_of_4(recorder):
    seen = InFlight()

    async def slow(r):
        seen.enter()
        await asyncio.sleep(0.3)
        seen.exit()
        return 8.0

    g = Guard(SPEC, slow, rules, recorder=recorder)
    out = asyncio.run(g.apredict_batch([GOOD] * 32))
    sources = [d.source for d in out]
    print(f"\ntasks: model saw at most {seen.max} in flight; {sources.count('model')} served, {g.stats.shed} shed")
    assert seen.max == 4 and sources.count("model") == 4 and g.stats.shed == 28
    assert g.stats.in_flight == 0 and len(recorder.records) == 32
    assert sorted((r.source, r.guard) for r in recorder.records) == [("model", None)] * 4 + [("rules", "bulkhead")] * 28


def test_a_waiting_task_gets_a_released_slot():
    async def main():
        b = Bulkhead(limit=1, max_wait_s=1.0)
        assert await b.aacquire()

        async def later():
            await asyncio.sleep(0.02)
            b.release()

        asyncio.get_running_loop().create_task(later())
        t0 = time.perf_counter()
        got = await b.aacquire()
        return got, time.perf_counter() - t0, b

    got, waited, b = asyncio.run(main())
    assert got and 0.01 < waited < 0.5 and b.in_flight == 1 and b.shed == 0


def test_a_waiting_thread_gets_a_released_slot():
    b = Bulkhead(limit=1, max_wait_s=1.0)
    assert b.acquire()
    threading.Timer(0.02, b.release).start()
    t0 = time.perf_counter()
    assert b.acquire() and 0.01 < time.perf_counter() - t0 < 0.5
    assert b.in_flight == 1 and b.shed == 0


def test_a_timed_out_task_passes_a_late_slot_on():
    async def main():
        b = Bulkhead(limit=1, max_wait_s=0.01)
        assert await b.aacquire()
        assert not await b.aacquire()  # timed out: shed
        b.release()
        return b

    b = asyncio.run(main())
    assert b.in_flight == 0 and b.shed == 1
