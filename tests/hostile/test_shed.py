"""Issue 10.5: past capacity the server sheds at once; /healthz and /readyz stay fast.

The app runs in uvicorn in this process (``ThreadServer``) with one extra route that
holds a worker thread for a second, standing in for a slow batch.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from telltale.server import create_app
from telltale.store import Store
from tests.server.conftest import ThreadServer


def _slow_app(db: Path, max_in_flight: int) -> tuple[ThreadServer, Store]:
    store = Store.open(f"sqlite:///{db}")
    app = create_app(store, max_in_flight=max_in_flight)

    def slow() -> dict[str, str]:
        time.sleep(2.0)
        return {"done": "yes"}

    app.add_api_route("/v1/slow", slow, methods=["POST"])
    return ThreadServer(app), store


def test_past_capacity_requests_are_shed_at_once_with_retry_after(tmp_path: Path) -> None:
    """Two slots, a queue of four (two per slot) that waits at most a second, then 503."""
    srv, store = _slow_app(tmp_path / "t.db", max_in_flight=2)
    try:
        with ThreadPoolExecutor(8) as pool:
            first = [pool.submit(httpx.post, srv.url + "/v1/slow", timeout=10) for _ in range(2)]
            time.sleep(0.3)  # both admitted and working
            queued = [pool.submit(_timed_post, srv.url + "/v1/slow") for _ in range(4)]
            time.sleep(0.3)  # all four waiting for a slot
            with httpx.Client(base_url=srv.url, timeout=10) as c:
                t0 = time.perf_counter()
                shed = [c.post("/v1/slow", content=b"x" * 1000) for _ in range(5)]
                shed_s = (time.perf_counter() - t0) / 5
                health = [c.get("/healthz") for _ in range(5)]
                ready = c.get("/readyz")
            done = [f.result() for f in first]
            waited = [f.result() for f in queued]
        assert [r.status_code for r in done] == [200, 200]
        assert [r.status_code for r, _ in waited] == [503] * 4  # the slots stayed busy past their wait
        assert all(0.9 < s < 1.9 for _, s in waited), waited
        assert [r.status_code for r in shed] == [503] * 5
        assert shed[0].headers["retry-after"] == "1"
        assert shed[0].json() == {"detail": "the server is at capacity (2 write requests in flight); retry after 1 s"}
        assert shed_s < 0.1  # each, on a new connection: nothing waited for the busy ones
        assert [r.json() for r in health] == [{"status": "ok"}] * 5
        assert ready.json() == {"status": "ok"}
        metrics = httpx.get(srv.url + "/metrics").text
        assert "telltale_http_shed_total 9.0" in metrics
    finally:
        srv.stop()
        store.close()


def _timed_post(url: str) -> tuple[httpx.Response, float]:
    t0 = time.perf_counter()
    resp = httpx.post(url, timeout=10)
    return resp, time.perf_counter() - t0


def test_health_and_ready_answer_while_every_worker_thread_is_busy(tmp_path: Path) -> None:
    """With the admission limit above the worker pool (40 threads), ingestion-like work fills
    the pool; the probes must not wait behind it."""
    srv, store = _slow_app(tmp_path / "t.db", max_in_flight=200)
    try:
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(timeout=30) as c:
                while not stop.is_set():
                    c.post(srv.url + "/v1/slow")

        threads = [threading.Thread(target=hammer) for _ in range(45)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        timings = []
        with httpx.Client(base_url=srv.url, timeout=10) as probe:
            for path in ["/healthz"] * 10 + ["/readyz"] * 3:
                t0 = time.perf_counter()
                resp = probe.get(path)
                timings.append(time.perf_counter() - t0)
                assert resp.status_code == 200, resp.text
        stop.set()
        for t in threads:
            t.join(15)
        assert sorted(timings[:10])[8] < 0.1, timings  # p90 of ten: one GC pause or scheduler hiccup on a shared box is not the pool
        assert max(timings[10:]) < 0.5, timings  # its own thread, not the busy pool
    finally:
        srv.stop()
        store.close()
