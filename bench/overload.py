"""Ingest at 1x, 2x and 3x the server's measured capacity: does it shed, and stay up?

Starts a real server (``python -m telltale.server``, a SQLite file, the example spec) on
loopback, then:

1. capacity: ``--clients`` closed-loop clients post batches as fast as answers come
   back, for ``--seconds``; accepted batches per second is the capacity C;
2. overload: an open-loop client starts batches at 1x, 2x and 3x C for ``--seconds``
   each, whether or not earlier ones were answered (as independent services would);
   no retries, so shed batches are counted, not resent;
3. all along, a probe GETs ``/healthz`` every 50 ms.

It prints, per load: batches offered/s, accepted records/s and batches/s, shed/s (503 or
429 with Retry-After), the p99 acknowledgement latency of accepted batches, and the p99
of ``/healthz``. Target (issue 10): at 3x, accepted throughput >= 80% of C and
``/healthz`` p99 < 100 ms.

    .venv/bin/python bench/overload.py            # about a minute
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import start_server  # noqa: E402  (the tests' server launcher)
from tests.server.helpers import eta_inputs  # noqa: E402

T0 = 1_767_225_600.0


def bodies(tag: str, n: int, batch: int) -> list[bytes]:
    out = []
    for b in range(n):
        records = [{"id": f"{tag}-{b}-{k}", "ts": T0 + b + k / batch, "inputs": eta_inputs(b * batch + k), "output": 20.0,
                    "confidence": 0.8, "model_version": "2026-11-01", "latency_ms": 4.0} for k in range(batch)]
        out.append(json.dumps({"records": records}).encode())
    return out


class Probe(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as c:
            while not self.stop.is_set():
                t = time.perf_counter()
                try:
                    c.get(self.url + "/healthz")
                    self.samples.append((t, time.perf_counter() - t))
                except httpx.HTTPError:
                    self.samples.append((t, 30.0))
                time.sleep(0.05)

    def p99_between(self, t0: float, t1: float) -> float:
        xs = [d for t, d in self.samples if t0 <= t < t1]
        return float(np.percentile(xs, 99)) if xs else float("nan")


async def closed_loop(url: str, token: str, clients: int, seconds: float, payload: list[bytes]) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted = 0
    end = time.perf_counter() + seconds
    it = iter(payload)

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal accepted
        while time.perf_counter() < end:
            r = await c.post("/v1/services/eta/predictions", content=next(it), headers=headers)
            accepted += r.status_code == 200
            if r.status_code != 200:
                await asyncio.sleep(0.02)  # shed: back off a little, as a client told Retry-After would
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        t = time.perf_counter()
        await asyncio.gather(*(client(c) for _ in range(clients)))
        return accepted / (time.perf_counter() - t)


async def open_loop(url: str, token: str, rate: float, seconds: float, payload: list[bytes]) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    acks: list[float] = []
    shed = other = 0

    async def one(c: httpx.AsyncClient, body: bytes) -> None:
        nonlocal shed, other
        t = time.perf_counter()
        try:
            r = await c.post("/v1/services/eta/predictions", content=body, headers=headers)
        except httpx.HTTPError:
            other += 1
            return
        if r.status_code == 200:
            acks.append(time.perf_counter() - t)
        elif r.status_code in (429, 503) and "retry-after" in r.headers:
            shed += 1
        else:
            other += 1

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as c:
        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(c, payload[i])))
        await asyncio.gather(*tasks)
        elapsed = max(time.perf_counter() - start, seconds)
    return {"offered": n / seconds, "accepted": len(acks) / elapsed, "shed": shed / elapsed, "other": other,
            "ack_p99": float(np.percentile(acks, 99)) if acks else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--max-in-flight", type=int, default=None, help="the server's admission limit (default: its own)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="telltale-overload-"))
    db = f"sqlite:///{tmp / 'telltale.db'}"
    extra = ["--max-in-flight", str(a.max_in_flight)] if a.max_in_flight else []
    server = start_server(db, specs=[ROOT / "examples" / "eta" / "telltale.yaml"], extra_args=extra)
    probe = Probe(server.url)
    probe.start()
    try:
        warm = bodies("warm", 20, a.batch)
        asyncio.run(closed_loop(server.url, server.token, a.clients, 2.0, warm * 50))
        t = time.perf_counter()
        capacity = asyncio.run(closed_loop(server.url, server.token, a.clients, a.seconds, bodies("cap", int(200 * a.seconds), a.batch)))
        cap_health = probe.p99_between(t, time.perf_counter())
        print(f"capacity: {capacity:.1f} batches/s = {capacity * a.batch:,.0f} records/s "
              f"({a.clients} closed-loop clients, batches of {a.batch}); /healthz p99 {cap_health * 1000:.1f} ms\n")
        print("| load | offered batches/s | accepted batches/s | accepted records/s | of capacity | shed/s | ack p99 ms | /healthz p99 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for x in (1, 2, 3):
            payload = bodies(f"x{x}", int(capacity * x * a.seconds) + 1, a.batch)
            t = time.perf_counter()
            r = asyncio.run(open_loop(server.url, server.token, capacity * x, a.seconds, payload))
            hp = probe.p99_between(t, time.perf_counter())
            print(f"| {x}x | {r['offered']:.1f} | {r['accepted']:.1f} | {r['accepted'] * a.batch:,.0f} | "
                  f"{r['accepted'] / capacity:.0%} | {r['shed']:.1f} | {r['ack_p99'] * 1000:.0f} | {hp * 1000:.1f} |"
                  + (f" ({r['other']:.0f} other)" if r["other"] else ""))
            time.sleep(1.0)
    finally:
        probe.stop.set()
        rss = _rss_mb(server.proc.pid)
        server.stop()
        print(f"\nserver RSS at the end: {rss:.0f} MB")


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
