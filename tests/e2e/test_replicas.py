"""Two ``telltale serve`` replicas on one PostgreSQL act as one (issue 11.1; bench/replicas.py runs three under load).

Real processes: the lease holder runs the background jobs and is SIGKILLed (no
release); another replica takes the lease within 10 s and delivers the next alert; a
local webhook receives every alert exactly once. Records posted to each replica over
HTTP merge into one minute profile.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from telltale.alerts import enqueue
from telltale.store import Store
from tests.alerts.helpers import alert, spec_with
from tests.alerts.standin import StandIn
from tests.server.conftest import launch

pytestmark = pytest.mark.postgres

LEASE_TTL_S = 3.0  # takeover within ttl + 1 s retry; the default is 6 s


def _wait(what: str, cond, timeout: float, logs: list[Path]) -> float:  # noqa: ANN001
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{what} did not happen within {timeout} s; logs:\n" + "\n".join(p.read_text() for p in logs))
        time.sleep(0.05)
    return time.monotonic() - t0


def test_replicas_move_the_lease_on_sigkill_and_deliver_each_alert_once(pg_url: str) -> None:
    hook = StandIn()
    store = Store.open(pg_url)
    token = store.create_token("default", name="test")
    store.put_service("default", spec_with({"hook": {"webhook": {"url": hook.url, "allow_private": True}}}, {"data": ["hook"]},
                                           group_wait_s=0))
    enqueue(store, "default", alert("eta/nulls/prep_time_s", at=time.time()))
    replicas = [launch(pg_url, token=token, cli=True, monitor_every=2, extra_args=["--lease-ttl", str(LEASE_TTL_S)])
                for _ in range(2)]
    ports = [h.port for h in replicas]
    logs = [h.log_path for h in replicas]
    procs = [h.proc for h in replicas]
    try:
        for h in replicas:  # startup is mostly imports: seconds alone, tens of seconds on a machine shared with other work
            h.wait_ready(90)
        # records over HTTP to every replica, all in one minute: one merged profile
        minute = (int(time.time()) // 60 - 1) * 60
        for k, port in enumerate(ports):
            body = [{"id": f"r{k}-{i}", "ts": minute + i % 60, "inputs": {"prep_time_s": 100.0 * k + i}} for i in range(50)]
            r = httpx.post(f"http://127.0.0.1:{port}/v1/services/eta/predictions", json={"records": body},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert r.status_code == 200 and r.json()["accepted"] == 50, r.text
        profile = store.read_profile("default", "eta", minute, minute + 60)
        assert profile is not None and profile.n == 100 and store.count_predictions("default", "eta") == 100
        assert (profile.fields["prep_time_s"].numeric.min, profile.fields["prep_time_s"].numeric.max) == (0.0, 149.0)  # both replicas' records

        _wait("the first alert delivered", lambda: len(hook.requests) == 1 and _sent(store) == 1, 20, logs)
        lease = store.lease("jobs")
        assert lease is not None and int(lease.holder.split(":")[1]) in {p.pid for p in procs}  # host:pid:nonce of a replica
        pid = int(lease.holder.split(":")[1])
        holder = next(p for p in procs if p.pid == pid)
        holder.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        holder.wait(5)
        enqueue(store, "default", alert("eta/drift/prep_time_s", at=time.time()))  # raised while nobody holds the lease
        _wait("another replica taking the lease", lambda: (store.lease("jobs") or lease).holder != lease.holder, 10, logs)
        moved_s = time.monotonic() - killed_at
        assert moved_s < 10.0
        new = store.lease("jobs")
        assert new is not None and new.moves == lease.moves + 1 and int(new.holder.split(":")[1]) in {p.pid for p in procs if p is not holder}
        _wait("the second alert delivered", lambda: len(hook.requests) == 2, 15, logs)
        time.sleep(5.0 + 1)  # another alert tick (every 5 s) on the survivor: nothing is sent again
        titles = sorted(a["title"] for r in hook.requests for a in r.json()["alerts"])
        assert titles == ["eta/drift/prep_time_s firing", "eta/nulls/prep_time_s firing"]
        assert len(hook.requests) == 2 and _sent(store) == 2
        for h in replicas:  # a clean stop (SIGTERM) releases the lease: no replica need wait for its expiry
            h.stop(15)
        released = store.lease("jobs")
        assert released is not None and released.expires_at <= time.time()
    finally:
        for h in replicas:
            h.stop(15)
        hook.close()
        store.close()


def _sent(store: Store) -> int:
    from telltale.store import _alerts

    with store.alert_tx(write=False) as conn:
        return _alerts.outbox_counts(conn, "default").get("sent", 0)
