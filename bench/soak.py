"""Soak: ingest at 80% of measured capacity for an hour; does the server's memory stay flat?

Starts a real ``telltale serve`` (the CLI, the monitor ticking every 60 s as deployed)
on a SQLite file (or ``--db postgresql+psycopg://...``) with the example spec, then:

1. capacity: ``--clients`` closed-loop clients post batches of ``--batch`` records as
   fast as answers come back for ``--capacity-seconds`` (the method of
   ``bench/overload.py``, whose loops this reuses); accepted batches/s is C;
2. soak: an open-loop client starts batches at ``--fraction`` x C (default 80%) for
   ``--duration`` seconds (default 3600), each record a new id, whether or not earlier
   batches were answered; nothing is retried, so shed batches are counted;
3. every ``--sample-every`` seconds (default 30) it reads the server's resident memory
   (VmRSS from /proc/<pid>/status) and prints one row: elapsed time, RSS, records
   accepted and batches shed in the interval, p99 acknowledgement latency, database size.

At the end: the least-squares slope of RSS after ``--warmup`` seconds (MB/hour), the
growth from the first to the last quarter of the post-warm-up samples, and a verdict:
flat when that growth is under ``--flat-pct`` (5%).

    .venv/bin/python bench/soak.py                      # one hour, SQLite
    .venv/bin/python bench/soak.py --duration 300       # a quick look
    .venv/bin/python bench/soak.py --db postgresql+psycopg://user@127.0.0.1/telltale
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from overload import _rss_mb, bodies, closed_loop  # noqa: E402  (one capacity method for both benches)

from telltale.store import Store  # noqa: E402
from tests.server.conftest import free_port  # noqa: E402
from tests.server.helpers import eta_inputs  # noqa: E402

SPEC = ROOT / "examples" / "eta" / "telltale.yaml"


@dataclass
class Interval:
    """What the open-loop client saw since the last sample (reset at each sample)."""

    accepted_records: int = 0
    shed: int = 0
    other: int = 0
    behind: int = 0
    acks: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[int, int, int, int, list[float]]:
        with self.lock:
            out = (self.accepted_records, self.shed, self.other, self.behind, self.acks)
            self.accepted_records, self.shed, self.other, self.behind, self.acks = 0, 0, 0, 0, []
            return out


def start_serve(db: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``telltale serve`` as a user runs it (the console script beside this interpreter)."""
    exe = shutil.which("telltale", path=str(Path(sys.executable).parent)) or "telltale"
    cmd = [exe, "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port), "--spec", str(SPEC)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"telltale serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"telltale serve not ready after 60 s:\n{log.read_text()}")


def batch_body(n: int, batch: int) -> bytes:
    """Batch ``n``: new ids, stamped now, so the monitor judges live windows as deployed."""
    now = time.time()
    records = [{"id": f"soak-{n}-{k}", "ts": now - k / batch / 10, "inputs": eta_inputs(n * batch + k),
                "output": 20.0, "confidence": 0.8, "model_version": "2026-11-01", "latency_ms": 4.0} for k in range(batch)]
    return json.dumps({"records": records}).encode()


async def open_loop(url: str, token: str, rate: float, seconds: float, batch: int, seen: Interval, max_pending: int) -> int:
    """Start batches at ``rate`` per second for ``seconds``; returns how many were started.

    At most ``max_pending`` are outstanding: a batch due while that many wait for their
    answer is not sent but counted (``behind``), so a server (or a machine) slower than
    the offered rate cannot pile up an unbounded queue in this client."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def one(c: httpx.AsyncClient, body: bytes) -> None:
        t = time.perf_counter()
        try:
            r = await c.post("/v1/services/eta/predictions", content=body, headers=headers)
        except httpx.HTTPError:
            with seen.lock:
                seen.other += 1
            return
        with seen.lock:
            if r.status_code == 200:
                seen.accepted_records += batch
                seen.acks.append(time.perf_counter() - t)
            elif r.status_code in (429, 503):
                seen.shed += 1
            else:
                seen.other += 1

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    pending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as c:
        start = time.perf_counter()
        n = 0
        while (now := time.perf_counter()) < start + seconds:
            due = start + n / rate
            if due > now:
                await asyncio.sleep(due - now)
            if len(pending) >= max_pending:
                with seen.lock:
                    seen.behind += 1
                n += 1
                continue
            task = asyncio.create_task(one(c, batch_body(n, batch)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.gather(*pending)
    return n


def db_size_mb(db: str) -> float:
    if not db.startswith("sqlite:///"):
        return float("nan")
    p = Path(db.removeprefix("sqlite:///"))
    return sum(f.stat().st_size for f in p.parent.glob(p.name + "*")) / 1e6


def verdict(samples: list[tuple[float, float]], warmup: float, flat_pct: float) -> str:
    """Slope (MB/hour) and growth of RSS after ``warmup`` seconds, and whether that is flat."""
    after = [(t, m) for t, m in samples if t >= warmup]
    if len(after) < 4:
        return f"too few samples after the {warmup:.0f} s warm-up to judge"
    ts, ms = np.array([t for t, _ in after]), np.array([m for _, m in after])
    slope = float(np.polyfit(ts / 3600, ms, 1)[0])
    q = max(1, len(after) // 4)
    first, last = float(np.median(ms[:q])), float(np.median(ms[-q:]))
    growth = (last - first) / first * 100
    flat = growth < flat_pct
    return (f"RSS after the {warmup:.0f} s warm-up: {ms.min():.1f} to {ms.max():.1f} MB; slope {slope:+.1f} MB/hour; "
            f"median of the first quarter {first:.1f} MB, of the last quarter {last:.1f} MB ({growth:+.1f}%): "
            + ("FLAT" if flat else f"GROWING (over {flat_pct:g}%)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=3600.0, help="seconds of soak at --fraction of capacity")
    ap.add_argument("--fraction", type=float, default=0.8)
    ap.add_argument("--sample-every", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=300.0, help="seconds of soak left out of the verdict")
    ap.add_argument("--flat-pct", type=float, default=5.0)
    ap.add_argument("--capacity-seconds", type=float, default=10.0)
    ap.add_argument("--capacity", type=float, default=None, help="batches/s to take as capacity instead of measuring it")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--max-pending", type=int, default=32, help="batches outstanding at most; one due past that is counted as not sent")
    ap.add_argument("--db", default=None, help="store URL (default: a new SQLite file in a temporary directory)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="telltale-soak-"))
    db = a.db or f"sqlite:///{tmp / 'telltale.db'}"
    store = Store.open(db)
    try:
        token = store.create_token("default")
    finally:
        store.close()
    port = free_port()
    proc = start_serve(db, port, tmp / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        rss0 = _rss_mb(proc.pid)
        if a.capacity is None:
            asyncio.run(closed_loop(url, token, a.clients, 2.0, bodies("warm", 20, a.batch) * 50))
            capacity = asyncio.run(closed_loop(url, token, a.clients, a.capacity_seconds,
                                               bodies("cap", int(200 * a.capacity_seconds), a.batch)))
        else:
            capacity = a.capacity
        rate = capacity * a.fraction
        print(f"telltale serve on {db.split('://')[0]}, pid {proc.pid}, RSS at start {rss0:.1f} MB")
        print(f"capacity: {capacity:.1f} batches/s = {capacity * a.batch:,.0f} records/s "
              f"({'measured, ' + str(a.clients) + ' closed-loop clients' if a.capacity is None else 'given'}, batches of {a.batch}); "
              f"soak at {a.fraction:.0%}: {rate:.1f} batches/s = {rate * a.batch:,.0f} records/s for {a.duration:.0f} s\n")
        print("| elapsed s | RSS MB | accepted records/s | shed batches/s | not sent (client behind) | other | ack p99 ms | db MB | load avg |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        seen = Interval()
        samples: list[tuple[float, float]] = []
        stop = threading.Event()
        t_start = time.perf_counter()

        def sample() -> None:
            last = t_start
            while not stop.wait(max(0.0, last + a.sample_every - time.perf_counter())):
                now = time.perf_counter()
                rss = _rss_mb(proc.pid)
                acc, shed, other, behind, acks = seen.take()
                dt = now - last
                last = now
                samples.append((now - t_start, rss))
                p99 = f"{np.percentile(acks, 99) * 1000:.0f}" if acks else "-"
                print(f"| {now - t_start:.0f} | {rss:.1f} | {acc / dt:,.0f} | {shed / dt:.2f} | {behind} | {other} | {p99} | "
                      f"{db_size_mb(db):,.0f} | {os.getloadavg()[0]:.1f} |")

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        n = asyncio.run(open_loop(url, token, rate, a.duration, a.batch, seen, a.max_pending))
        stop.set()
        sampler.join()
        print(f"\n{n:,} batches due ({n * a.batch:,} records); server alive: {proc.poll() is None}")
        print(verdict(samples, a.warmup, a.flat_pct))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if a.db is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
