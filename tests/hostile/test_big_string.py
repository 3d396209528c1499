"""Issue 10, item 4 (record side): a 9 MB string is answered as an error at once.

Before, one 9 MB string took 52 s to store, holding the store's write lock, and another
client's batch got 503 after 30 s. Now the string's length is checked before anything
hashes it: the record is refused by index, field and limit, the store is never touched,
and another client ingesting meanwhile sees no delay. The 100 ms figure is measured by
``bench/hostile_string.py``; this test bounds it loosely enough for a loaded machine.
"""

from __future__ import annotations

import json
import threading
import time

import httpx

from tests.hostile.conftest import good
from tests.server.conftest import ServerHandle


def test_a_9mb_string_is_refused_in_under_100ms_while_another_client_ingests(hostile_server: ServerHandle) -> None:
    huge = good("huge")
    huge["inputs"]["city"] = "x" * 9_000_000
    body = json.dumps({"records": [good("before"), huge, good("after")]}).encode()
    other_latencies: list[float] = []
    other_status: list[int] = []
    stop = threading.Event()

    def other_client() -> None:
        with hostile_server.client() as c:
            while not stop.is_set():
                t = time.perf_counter()
                r = c.post("/v1/services/eta/predictions", json={"records": [good(f"other-{i}") for i in range(50)]})
                other_latencies.append(time.perf_counter() - t)
                other_status.append(r.status_code)

    with httpx.Client(base_url=hostile_server.url, headers={"Authorization": f"Bearer {hostile_server.token}"}, timeout=30) as c:
        c.post("/v1/services/eta/predictions", content=body, headers={"Content-Type": "application/json"})  # warm up
        worker = threading.Thread(target=other_client)
        worker.start()
        times = []
        try:
            for _ in range(5):
                t = time.perf_counter()
                r = c.post("/v1/services/eta/predictions", content=body, headers={"Content-Type": "application/json"})
                times.append(time.perf_counter() - t)
                assert r.status_code == 200
                doc = r.json()
                assert doc["accepted"] + doc["duplicates"] == 2 and doc["errors"] == [{
                    "index": 1, "field": "inputs.city",
                    "reason": "is a string of 9000000 characters; the most is 65536 (max_string_len)"}]
        finally:
            stop.set()
            worker.join(30)
    # the best of five, upload of 9 MB over loopback included. On a quiet machine this is
    # 70 to 100 ms (bench/hostile_string.py measures it; figures in bench/README.md); the
    # bound here leaves room for a loaded CI machine and still fails the old behaviour
    # (52 s hashing the string inside the write transaction) by two orders of magnitude
    print(f"9 MB string answered in {min(times) * 1000:.0f} ms (best of 5), other client max {max(other_latencies) * 1000:.0f} ms")
    assert min(times) < 0.5, times
    assert other_status and set(other_status) == {200}
    assert max(other_latencies) < 2.0, max(other_latencies)
