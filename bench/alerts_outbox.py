"""The alert outbox: what a tick costs, and what a ten-minute receiver outage costs.

1. Tick cost: ``deliver_due`` over N live alerts in N/3 incidents, after they were all
   told (the steady state of the background loop), on a SQLite file: it grows with the
   live alerts, never with traffic.
2. Outage: a webhook receiver (a real HTTP server on 127.0.0.1) refuses connections for
   ten minutes while 20 incidents fire; the clock is injected and ticks every 10 s.
   Printed: attempts during the outage (the breaker's bound beside it), messages
   received after it, and how long after recovery the last one arrived.

    .venv/bin/python bench/alerts_outbox.py        # ~20 s
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telltale.alerts import deliver_due, enqueue  # noqa: E402
from telltale.clock import ManualClock  # noqa: E402
from telltale.store import Store  # noqa: E402
from tests.alerts.helpers import alert, spec_with  # noqa: E402
from tests.alerts.standin import StandIn  # noqa: E402

T0 = 1_767_225_600.0


def tick_cost(n_alerts: int, standin: StandIn) -> tuple[float, float]:
    clock = ManualClock(T0)
    with tempfile.TemporaryDirectory() as d:
        store = Store.open(f"sqlite:///{d}/t.db", clock=clock)
        store.put_service("default", spec_with({"hook": {"webhook": {"url": standin.url, "allow_private": True}}}, {"data": ["hook"]}))
        for i in range(n_alerts):
            enqueue(store, "default", alert(f"eta/a{i}", incident=f"inc-{i // 3}", at=T0))
        clock.advance(31)
        while deliver_due(store, clock.now()):
            pass
        times = []
        for _ in range(20):
            clock.advance(10)
            t = time.perf_counter()
            deliver_due(store, clock.now())
            times.append((time.perf_counter() - t) * 1000)
        store.close()
    return statistics.median(times), max(times)


def outage(standin: StandIn) -> dict[str, float]:
    clock = ManualClock(T0)
    with tempfile.TemporaryDirectory() as d:
        store = Store.open(f"sqlite:///{d}/t.db", clock=clock)
        spec = spec_with({"hook": {"webhook": {"url": standin.url, "allow_private": True}}}, {"data": ["hook"]})
        store.put_service("default", spec)
        standin.requests.clear()
        standin.down()
        start = clock.now()
        for step in range(60):
            if step < 20:
                enqueue(store, "default", alert(f"eta/a{step}", incident=f"inc-{step}", at=clock.now()))
            clock.advance(10)
            deliver_due(store, clock.now())
        attempts = len(store.alert_deliveries("default", "eta", start, clock.now() + 1))
        standin.up()
        back = clock.now()
        last = back
        for _ in range(60):
            clock.advance(10)
            if deliver_due(store, clock.now()):
                last = clock.now()
        per_incident = Counter(r.json()["group_key"] for r in standin.requests)
        store.close()
    cfg = spec.alerting
    return {"attempts": attempts, "bound": cfg.breaker_failures + math.ceil(600 / cfg.breaker_open_s) + 1,
            "incidents": len(per_incident), "messages": sum(per_incident.values()), "seconds_to_drain": last - back}


def main() -> None:
    standin = StandIn()
    try:
        print("| live alerts | tick median ms | tick max ms |")
        print("|---:|---:|---:|")
        for n in (0, 30, 300, 3000):
            med, worst = tick_cost(n, standin)
            print(f"| {n} | {med:.2f} | {worst:.2f} |")
        o = outage(standin)
        print()
        print(f"ten-minute outage, 20 incidents: {o['attempts']} attempts (breaker bound {o['bound']}); "
              f"after recovery {o['messages']} messages for {o['incidents']} incidents, "
              f"the last {o['seconds_to_drain']:.0f} s after the receiver came back")
    finally:
        standin.close()


if __name__ == "__main__":
    main()
