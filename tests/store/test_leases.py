"""Leases (store/_leases.py) and the jobs loop on them, with an injected clock, on SQLite and PostgreSQL.

One holder at a time; the holder renews; a holder that stops renewing is replaced once
its lease expired and not a moment before; a released lease is free at once; racing
acquirers get exactly one winner. The jobs loop runs its ticks on the holder only.
"""

from __future__ import annotations

import threading

import pytest

from telltale.clock import ManualClock
from telltale.errors import StoreError
from telltale.server.jobs import Jobs, LeaseSettings
from telltale.store import Store
from telltale.store._leases import Lease

T0 = 1_767_225_600.0


@pytest.fixture
def store(db_url: str):
    s = Store.open(db_url)
    yield s
    s.close()


def test_one_holder_until_expiry_then_takeover_counts_a_move(store):
    assert store.lease("jobs") is None
    assert store.acquire_lease("jobs", "a", 6.0, T0)
    assert not store.acquire_lease("jobs", "b", 6.0, T0 + 5.9)  # a's lease runs to T0 + 6
    assert store.renew_lease("jobs", "a", 6.0, T0 + 4.0)  # now to T0 + 10
    assert not store.acquire_lease("jobs", "b", 6.0, T0 + 9.99)
    assert store.lease("jobs") == Lease("jobs", "a", T0, T0 + 10.0, 0)
    assert store.acquire_lease("jobs", "b", 6.0, T0 + 10.0)  # a stopped renewing (killed): b takes over
    assert store.lease("jobs") == Lease("jobs", "b", T0 + 10.0, T0 + 16.0, 1)
    assert not store.renew_lease("jobs", "a", 6.0, T0 + 10.5)  # a, back, learns it lost the lease
    assert store.acquire_lease("jobs", "b", 6.0, T0 + 12.0)  # re-acquiring one's own lease renews it
    assert store.lease("jobs") == Lease("jobs", "b", T0 + 10.0, T0 + 18.0, 1)
    assert not store.renew_lease("jobs", "b", 6.0, T0 + 18.0)  # expired: renew refuses, acquire may take it again


def test_release_frees_the_lease_at_once_and_only_for_its_holder(store):
    assert store.acquire_lease("jobs", "a", 6.0, T0)
    assert store.acquire_lease("monitor:eta", "b", 6.0, T0)  # leases are independent by name
    assert not store.release_lease("jobs", "b", T0 + 1.0)
    assert store.release_lease("jobs", "a", T0 + 1.0)
    assert not store.release_lease("jobs", "a", T0 + 1.0)  # released already
    assert store.acquire_lease("jobs", "b", 6.0, T0 + 1.0)
    assert store.lease("jobs") == Lease("jobs", "b", T0 + 1.0, T0 + 7.0, 1)
    assert store.lease("monitor:eta") == Lease("monitor:eta", "b", T0, T0 + 6.0, 0)


def test_bad_names_holders_and_ttls_are_refused(store):
    with pytest.raises(ValueError, match="lease name must be 1 to 128 characters, got ''"):
        store.acquire_lease("", "a", 6.0, T0)
    with pytest.raises(ValueError, match="lease holder must be 1 to 200 characters, got 'xxx"):
        store.acquire_lease("jobs", "x" * 201, 6.0, T0)
    with pytest.raises(ValueError, match="lease 'jobs': ttl_s must be > 0 seconds, got 0"):
        store.renew_lease("jobs", "a", 0, T0)
    with pytest.raises(ValueError, match=r"need ttl_s > retry_s > 0 seconds, got ttl_s=0.5, retry_s=1.0"):
        LeaseSettings(ttl_s=0.5)


def test_racing_acquirers_get_exactly_one_winner(db_url):
    """Four stores (four connection pools, as four replicas) race for fresh leases."""
    stores = [Store.open(db_url) for _ in range(4)]
    try:
        for rnd in range(10):
            barrier = threading.Barrier(len(stores))
            wins: list[str] = []

            def race(i: int, s: Store, rnd: int = rnd, barrier: threading.Barrier = barrier, wins: list[str] = wins) -> None:
                barrier.wait()
                if s.acquire_lease(f"race{rnd}", f"r{i}", 6.0, T0):
                    wins.append(f"r{i}")

            threads = [threading.Thread(target=race, args=(i, s)) for i, s in enumerate(stores)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            lease = stores[0].lease(f"race{rnd}")
            assert lease is not None and wins == [lease.holder], (rnd, wins, lease)
            # and racing for it once it expired: again one winner, one move
            barrier = threading.Barrier(len(stores))
            wins.clear()
            threads = [threading.Thread(target=lambda i=i, s=s: (barrier.wait(), s.acquire_lease(f"race{rnd}", f"t{i}", 6.0, T0 + 6.0)
                                                                and wins.append(f"t{i}"))) for i, s in enumerate(stores)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            after = stores[0].lease(f"race{rnd}")
            assert after is not None and wins == [after.holder] and after.moves == 1, (rnd, wins, after)
    finally:
        for s in stores:
            s.close()


def test_jobs_run_on_the_lease_holder_only_and_move_when_it_stops_renewing(db_url):
    clock = ManualClock(T0)
    a_store, b_store = Store.open(db_url), Store.open(db_url)
    ran: list[tuple[str, float]] = []
    a = Jobs(a_store, clock=clock, lease=LeaseSettings(holder="a", ttl_s=6.0, retry_s=1.0))
    b = Jobs(b_store, clock=clock, lease=LeaseSettings(holder="b", ttl_s=6.0, retry_s=1.0))
    a.add("monitor", 5.0, lambda s, now: ran.append(("a", now)))
    b.add("monitor", 5.0, lambda s, now: ran.append(("b", now)))
    try:
        for t in range(0, 20):  # both loops tick every second; a took the lease first
            now = T0 + t
            a.run_due(now)
            b.run_due(now)
        assert ran == [("a", T0 + k) for k in (0, 5, 10, 15)]
        assert (a.takeovers, b.takeovers) == (1, 0)
        # a is SIGKILLed after its last renewal: it neither releases nor renews
        last = a_store.lease("jobs")
        assert last is not None and last.holder == "a"
        ran.clear()
        t = 20
        while not ran:
            b.run_due(T0 + t)
            t += 1
        assert ran == [("b", last.expires_at)]  # b retries every second: it ran the tick the moment a's lease lapsed
        assert last.expires_at - (T0 + 19) <= 6.0  # within the ttl of a's death
        lease = b_store.lease("jobs")
        assert lease is not None and (lease.holder, lease.moves) == ("b", 1) and b.takeovers == 1
        # b stops cleanly: it releases, and a (restarted) takes over on its next try
        b.stop()
        ran.clear()
        a2 = Jobs(a_store, clock=clock, lease=LeaseSettings(holder="a2"))
        a2.add("monitor", 5.0, lambda s, now: ran.append(("a2", now)))
        assert a2.run_due(T0 + t) == ["monitor"] and ran == [("a2", T0 + t)]
    finally:
        a_store.close()
        b_store.close()


def test_a_holder_that_cannot_reach_the_store_stops_ticking_when_its_lease_may_have_lapsed(tmp_path):
    clock = ManualClock(T0)
    store = Store.open(f"sqlite:///{tmp_path / 'telltale.db'}")
    ran: list[float] = []
    jobs = Jobs(store, clock=clock, lease=LeaseSettings(holder="a", ttl_s=6.0))
    jobs.add("alerts", 1.0, lambda s, now: ran.append(now))
    assert jobs.run_due(T0) == ["alerts"]

    def down(*_: object) -> bool:
        raise StoreError("the store at sqlite:///telltale.db failed a write: disk I/O error")

    store.acquire_lease = down  # type: ignore[method-assign]  # the store goes away after the first renewal
    for k in range(1, 10):
        jobs.run_due(T0 + k)
    assert ran == [T0 + k for k in range(6)]  # it ran while its lease surely lasted (to T0 + 6), then paused
    store.close()
