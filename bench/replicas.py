"""Three server replicas on one PostgreSQL under a fixed load; the lease holder SIGKILLed mid-run.

Issue 11's must-show: 8 guard processes on loopback post records over HTTP at a fixed
total rate to 3 ``telltale serve`` replicas sharing one PostgreSQL; halfway through, the
replica holding the jobs lease (monitor, policy, alert outbox) is killed with SIGKILL.

* Each guard process sends batches on a fixed schedule (open loop: a batch's latency
  counts from when it was due, so a server that falls behind shows in the p99, not in a
  quietly lower rate). It posts to "its" replica and, when that one refuses the
  connection, dies mid-request or sheds (503/429), to the next one: what a load
  balancer does. A retried batch keeps its record ids, so a batch the dead replica
  committed but never answered is counted once (the server answers ``duplicates``).
* Alerts are enqueued into the store's outbox once a second all along (as the policy
  would raise them, each its own group); a local webhook on 127.0.0.1 counts what it
  receives per alert.

It prints acknowledged records/s, the p99 acknowledgement latency, the stored check
(every acknowledged id stored, each once; minute profiles count each stored record
once), the lease's move time after the kill, and the alerts enqueued/delivered/sent
twice. PostgreSQL is ``$TELLTALE_TEST_PG_URL`` (an admin URL; a fresh database is made)
or a throwaway server started with ``scripts/pg``.

    .venv/bin/python bench/replicas.py                 # 40 s at 20,000 records/s offered
    .venv/bin/python bench/replicas.py --rate 5000     # below the ceiling: the latency of a healthy run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import launch  # noqa: E402  (the tests' server launcher)

SERVICE = "eta"


class Webhook:
    """A webhook receiver on 127.0.0.1 counting notifications per (alert, state)."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                doc = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                outer.requests += 1
                for a in doc["alerts"]:
                    outer.seen[(a["fingerprint"], a["state"])] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def guard(idx: int, guards: int, urls: list[str], token: str, rate: float, batch: int, seconds: float, start_at: float, out: str) -> None:
    """One guard process: batches of ``batch`` records at ``rate`` records/s, failing over between replicas."""
    from tests.server.helpers import eta_inputs

    client = httpx.Client(timeout=10.0)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    interval = batch / rate
    target = idx % len(urls)
    lat: list[float] = []
    acked: list[int] = []
    failovers = shed = dup = 0
    k = 0
    cpu0 = time.process_time()
    parts = [json.dumps({"inputs": eta_inputs(idx * 7919 + j), "output": 20.0 + j % 30, "confidence": 0.8, "source": "model",
                         "model_version": "2026-11-01", "latency_ms": 4.0}, separators=(",", ":")).encode()[1:] for j in range(batch)]
    phase = interval * idx / guards  # the guards' batches interleave instead of arriving together
    while (due := start_at + phase + k * interval) < start_at + seconds and time.time() < start_at + seconds:  # a batch not begun by the end is not sent
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        body = b'{"records":[' + b",".join(b'{"id":"g%d-%d-%d","ts":%.6f,' % (idx, k, j, now) + parts[j] for j in range(batch)) + b"]}"
        while True:
            try:
                resp = client.post(f"{urls[target]}/v1/services/{SERVICE}/predictions", content=body, headers=headers)
            except httpx.HTTPError:  # refused, reset, timed out: that replica is gone (or going)
                target, failovers = (target + 1) % len(urls), failovers + 1
                time.sleep(0.01)
                continue
            if resp.status_code == 200:
                dup += int(resp.json().get("duplicates", 0))
                break
            if resp.status_code in (429, 503):
                target, shed = (target + 1) % len(urls), shed + 1
                time.sleep(min(float(resp.headers.get("retry-after", "0.1") or 0.1), 0.2))
                continue
            raise SystemExit(f"guard {idx}: HTTP {resp.status_code}: {resp.text[:300]}")
        lat.append(time.time() - due)
        acked.append(k)
        k += 1
    Path(out).write_text(json.dumps({"lat": lat, "acked": acked, "failovers": failovers, "shed": shed, "duplicates": dup,
                                     "offered": int(seconds / interval), "cpu_s": time.process_time() - cpu0}))


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (from /proc; a process gone counts nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pg_pids(admin: str) -> list[int]:
    """The PostgreSQL server's processes for the port in ``admin``: its postmaster and children."""
    from sqlalchemy.engine import make_url

    port = str(make_url(admin).port or 5432)
    master = None
    stats = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
            stats[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"postgres") and port.encode() in cmd:
            master = int(d.name)
    return [] if master is None else [master] + [pid for pid, ppid in stats.items() if ppid == master]


def pg_admin_url(tmp: Path) -> tuple[str, Path | None]:
    url = os.environ.get("TELLTALE_TEST_PG_URL")
    if url:
        return url, None
    pgdir = tmp / "pg"
    tmp.chmod(0o755)  # mkdtemp makes it 0700: the postgres user that scripts/pg runs the server as must reach pgdir
    out = subprocess.run([str(ROOT / "scripts" / "pg"), "start", str(pgdir)], check=True, capture_output=True, text=True)
    return out.stdout.strip(), pgdir


def fresh_db(admin: str) -> str:
    import psycopg

    name = f"tt_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rpartition('/')[0]}/{name}"


def bench_spec(hook_url: str) -> Any:
    import yaml

    from telltale.spec import spec_from_dict

    d = yaml.safe_load((ROOT / "examples" / "eta" / "telltale.yaml").read_text())
    d.pop("reference", None)
    d["alerting"] = {"receivers": {"hook": {"webhook": {"url": hook_url, "allow_private": True}}},
                     "routes": {f: ["hook"] for f in ("data", "drift", "model", "platform", "cost", "trust")}, "group_wait_s": 0}
    return spec_from_dict(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=20000.0, help="records/s offered in total")
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--guards", type=int, default=8)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--batch", type=int, default=500, help="records per POST")
    ap.add_argument("--kill-at", type=float, default=None, help="seconds into the run (default: half way)")
    a = ap.parse_args()

    from telltale.alerts import enqueue
    from telltale.store import Store
    from telltale.types import Alert

    tmp = Path(tempfile.mkdtemp(prefix="telltale-replicas-"))
    admin, pgdir = pg_admin_url(tmp)
    db = fresh_db(admin)
    hook = Webhook()
    store = Store.open(db)
    store.put_service("default", bench_spec(hook.url))
    token = store.create_token("default", name="bench")
    replicas = [launch(db, token=token, cli=True) for _ in range(a.replicas)]
    procs = [h.proc for h in replicas]
    urls = [h.url for h in replicas]
    try:
        for h in replicas:
            try:
                h.wait_ready(120)
            except RuntimeError as e:
                raise SystemExit(f"replica {h.url} did not come up: {e}") from None
        load = os.getloadavg()
        server_pids = [p.pid for p in procs]
        cpu0 = {p: cpu_s([p]) for p in server_pids}
        pg0 = {p: cpu_s([p]) for p in pg_pids(admin)}
        start_at = time.time() + 2.0
        ctx = mp.get_context("spawn")
        outs = [str(tmp / f"guard{i}.json") for i in range(a.guards)]
        gs = [ctx.Process(target=guard, args=(i, a.guards, urls, token, a.rate / a.guards, a.batch, a.seconds, start_at, outs[i]))
              for i in range(a.guards)]
        for g in gs:
            g.start()
        kill_at = start_at + (a.kill_at if a.kill_at is not None else a.seconds / 2)
        enqueued: list[str] = []
        moved_s: float | None = None
        killed_pid = None
        while time.time() < start_at + a.seconds:
            if time.time() >= start_at and len(enqueued) < (time.time() - start_at):
                fp = f"{SERVICE}/bench/{len(enqueued)}"
                enqueue(store, "default", Alert(fingerprint=fp, service=SERVICE, family="data", severity="critical",
                                                state="firing", title=f"bench alert {len(enqueued)}", message="enqueued by bench/replicas.py",
                                                source="bench", starts_at=time.time(), ends_at=None, incident=None, labels={}))
                enqueued.append(fp)
            if killed_pid is None and time.time() >= kill_at:
                lease = store.lease("jobs")
                if lease is None:
                    raise SystemExit("no replica took the jobs lease")
                killed_pid = int(lease.holder.split(":")[1])
                next(p for p in procs if p.pid == killed_pid).send_signal(signal.SIGKILL)
                killed_t = time.monotonic()
            elif killed_pid is not None and moved_s is None:
                now_lease = store.lease("jobs")
                if now_lease is not None and now_lease.holder != lease.holder and now_lease.expires_at > time.time():
                    moved_s = time.monotonic() - killed_t
            time.sleep(0.05)
        while any(g.is_alive() for g in gs):
            if killed_pid is not None and moved_s is None:
                now_lease = store.lease("jobs")
                if now_lease is not None and now_lease.holder != lease.holder and now_lease.expires_at > time.time():
                    moved_s = time.monotonic() - killed_t
            time.sleep(0.2)
        end = time.time()
        cpu = {"servers": sum(cpu_s([p]) - c for p, c in cpu0.items()),
               "PostgreSQL": sum(cpu_s([p]) - pg0.get(p, 0.0) for p in pg_pids(admin)),
               "guards": 0.0}
        # let the outbox drain: alerts enqueued in the last seconds
        drain = time.monotonic() + 30
        while len({fp for fp, st in hook.seen if st == "firing"}) < len(enqueued) and time.monotonic() < drain:
            time.sleep(0.2)
        results = [json.loads(Path(o).read_text()) for o in outs if Path(o).exists()]
        report(a, results, store, db, enqueued, hook, moved_s, load, start_at, end, cpu)
    finally:
        for h in replicas:
            h.stop(20)
        store.close()
        if pgdir is not None:
            subprocess.run([str(ROOT / "scripts" / "pg"), "stop", str(pgdir)], check=False, capture_output=True)


def report(a: argparse.Namespace, results: list[dict[str, Any]], store: Any, db: str, enqueued: list[str], hook: Webhook,
           moved_s: float | None, load: tuple[float, float, float], start_at: float, end: float, cpu: dict[str, float]) -> None:
    import sqlalchemy as sa

    acked_ids = {f"g{i}-{k}-{j}" for i, r in enumerate(results) for k in r["acked"] for j in range(a.batch)}
    lat = np.array([x for r in results for x in r["lat"]]) * 1000
    offered = sum(r["offered"] for r in results) * a.batch
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(sa.text("SELECT id FROM tt_predictions WHERE project='default' AND service=:s"), {"s": SERVICE})]
        profiled = conn.execute(sa.text("SELECT coalesce(sum(n), 0) FROM tt_minute_profiles WHERE project='default' AND service=:s"),
                                {"s": SERVICE}).scalar_one()
    engine.dispose()
    stored_set = set(stored)
    missing = len(acked_ids - stored_set)
    firing = {fp: n for (fp, st), n in hook.seen.items() if st == "firing" and fp.startswith(f"{SERVICE}/bench/")}
    twice = sum(1 for n in firing.values() if n > 1)
    other = {k: n for k, n in hook.seen.items() if not k[0].startswith(f"{SERVICE}/bench/")}
    print(f"load average before the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)")
    print(f"offered: {offered:,} records in {a.seconds:.0f} s = {offered / a.seconds:,.0f} records/s "
          f"({a.guards} guards, batches of {a.batch}, {a.replicas} replicas)")
    print(f"acknowledged: {len(acked_ids):,} records = {len(acked_ids) / (end - start_at):,.0f} records/s over {end - start_at:.1f} s "
          f"(until the last guard finished)")
    print(f"ack latency ms: p50 {np.percentile(lat, 50):,.0f}  p99 {np.percentile(lat, 99):,.0f}  max {lat.max():,.0f}")
    print(f"failovers {sum(r['failovers'] for r in results)}, shed answers {sum(r['shed'] for r in results)}, "
          f"records answered as duplicates on retry {sum(r['duplicates'] for r in results)}")
    print(f"stored: {len(stored):,} rows, {len(stored_set):,} distinct ids; acknowledged but not stored: {missing}; "
          f"stored but never acknowledged: {len(stored_set - acked_ids)}; minute profiles count {profiled:,} "
          f"({'= stored: each record folded once' if profiled == len(stored) else 'MISMATCH'})")
    cpu["guards"] = sum(r["cpu_s"] for r in results)  # measured inside each guard, its start-up (imports) left out
    per = {k: v / max(len(stored), 1) * 1e6 for k, v in cpu.items()}
    print("CPU per stored record: " + ", ".join(f"{k} {v:,.0f} µs" for k, v in per.items())
          + f"; all of it on {os.cpu_count()} cores caps the rate at {os.cpu_count() * 1e6 / sum(per.values()):,.0f} records/s"
          + f" (the run used {sum(cpu.values()) / (end - start_at):.2f} cores of them)")
    print(f"lease moved {moved_s:.1f} s after the SIGKILL" if moved_s is not None else "lease did NOT move within 30 s")
    from telltale.store import _alerts

    with store.alert_tx(write=False) as conn:
        outbox = _alerts.outbox_counts(conn, "default")
    print(f"alerts: {len(enqueued)} enqueued, {len(firing)} delivered, {twice} delivered more than once"
          f" ({hook.requests} webhook requests; {sum(other.values())} notifications of the policy's own alerts); outbox {dict(sorted(outbox.items()))}")
    if outbox.get("pending"):
        print(f"  {outbox['pending']} outbox row(s) still pending: claimed by the killed replica, which died between the"
              f" request and recording its answer; if the receiver got it, it gets it again after the claim lapses"
              f" ({_alerts.CLAIM_S:.0f} s) with the same X-Telltale-Delivery key")


if __name__ == "__main__":
    main()
