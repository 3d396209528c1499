"""The server's background loop: registered ticks, run in order, each on its own period.

``telltale serve`` runs :func:`default_jobs`: the monitor every minute, then (as they
register here) the policy and the alert outbox, in that order, so each sees what the
one before it just wrote. A tick is ``fn(store, now)``; one that raises is logged and
retried on its next period, never allowed to stop the others. Time comes from the
injected clock: tests call :meth:`Jobs.run_due` with a ``ManualClock`` and replay days
of ticks in seconds; only :meth:`Jobs.start` uses a real thread.

Replicas: several ``telltale serve`` processes on one PostgreSQL run the loop on one of
them at a time. With a :class:`LeaseSettings`, :meth:`Jobs.run_due` runs nothing unless
this process holds the store lease ``jobs`` (``store/_leases.py``): one lease for the
whole loop, not one per job or per service, so the monitor, the policy and the outbox
keep their order (each sees what the one before it just wrote) and a takeover moves
them together. The ticks read profiles, not records, so one replica keeps up however
many ingest. The holder renews every ``ttl_s / 3`` from a heartbeat thread (a long
tick does not lose it); the others try to take it every second, so when the holder
dies without releasing (SIGKILL) another runs the jobs within ``ttl_s + 1`` seconds;
a clean stop releases it at once. The holder stops starting ticks once its lease may
have lapsed; what a late tick still writes is guarded in the store itself (the
monitor's cursor compare-and-set, the outbox's conditional claim).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.store import Store

log = logging.getLogger(__name__)

Tick = Callable[[Store, float], object]

#: The lease's lifetime: a dead holder is replaced within this (plus a standby's retry,
#: :data:`STANDBY_RETRY_S`), inside the 10 s replicas promise; long enough that a holder
#: busy on two shared cores still renews (every ttl/3) several times before it lapses.
LEASE_TTL_S = 6.0
#: How often a replica that does not hold the lease tries to take it (one tiny UPDATE).
STANDBY_RETRY_S = 1.0


def default_holder() -> str:
    """``host:pid:nonce``: unique per process, readable in ``tt_leases`` and the logs."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    """Run the jobs only while holding store lease ``name`` (one replica at a time)."""

    name: str = "jobs"
    holder: str = field(default_factory=default_holder)
    ttl_s: float = LEASE_TTL_S
    retry_s: float = STANDBY_RETRY_S

    def __post_init__(self) -> None:
        if not self.ttl_s > 0 or not 0 < self.retry_s < self.ttl_s:
            raise ValueError(f"lease {self.name!r}: need ttl_s > retry_s > 0 seconds, got ttl_s={self.ttl_s}, retry_s={self.retry_s}")


@dataclass(slots=True)
class _Job:
    name: str
    every_s: float
    fn: Tick
    due: float = float("-inf")
    runs: int = 0
    failures: int = 0


class Jobs:
    """Periodic ticks over one store.

    >>> from telltale.clock import ManualClock
    >>> seen = []
    >>> jobs = Jobs(Store.open("sqlite://"), clock=ManualClock(0.0))
    >>> jobs.add("hello", 60.0, lambda store, now: seen.append(now))
    >>> jobs.run_due(0.0), jobs.run_due(30.0), jobs.run_due(60.0), seen
    (['hello'], [], ['hello'], [0.0, 60.0])
    """

    def __init__(self, store: Store, *, clock: Clock = SYSTEM_CLOCK, lease: LeaseSettings | None = None) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease
        self._jobs: list[_Job] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heart: threading.Thread | None = None
        self._lease_lock = threading.Lock()
        self._held_until = float("-inf")  # our own clock's view: no tick starts after it
        self._tried_at = float("-inf")
        self.takeovers = 0  # times this process took the lease (from another holder or from nobody)

    def add(self, name: str, every_s: float, fn: Tick) -> None:
        """Register ``fn`` to run every ``every_s`` seconds, after the ticks registered before it."""
        if not every_s > 0:
            raise ValueError(f"job {name!r}: every_s must be > 0 seconds, got {every_s}")
        if any(j.name == name for j in self._jobs):
            raise ValueError(f"job {name!r} is registered already")
        self._jobs.append(_Job(name, float(every_s), fn))

    @property
    def names(self) -> list[str]:
        return [j.name for j in self._jobs]

    def stats(self) -> dict[str, tuple[int, int]]:
        """name -> (runs, failures)."""
        return {j.name: (j.runs, j.failures) for j in self._jobs}

    def leads(self, now: float) -> bool:
        """Whether this process may run the jobs at ``now``: always without a lease; with
        one, take or renew it when due (a failed store call counts as not holding)."""
        if self.lease is None:
            return True
        with self._lease_lock:
            held = now < self._held_until
            every = self.lease.ttl_s / 3 if held else self.lease.retry_s
            if now - self._tried_at < every:
                return held
            self._tried_at = now
            try:
                ok = self.store.acquire_lease(self.lease.name, self.lease.holder, self.lease.ttl_s, now)
            except Exception:  # the store is down: hold on only as long as the lease surely lasts
                log.warning("lease %r: the store did not answer; jobs pause when it lapses", self.lease.name, exc_info=True)
                return held
            if ok and not held:
                self.takeovers += 1
                log.info("lease %r taken by %s: this replica runs the background jobs", self.lease.name, self.lease.holder)
            elif held and not ok:
                log.warning("lease %r lost by %s: another replica runs the background jobs", self.lease.name, self.lease.holder)
            self._held_until = now + self.lease.ttl_s if ok else float("-inf")
            return ok

    def run_due(self, now: float) -> list[str]:
        """Run every job due at ``now``, in registration order; the names of those that ran
        (none while another replica holds the lease)."""
        if not self.leads(now):
            return []
        ran = []
        t0 = self.clock.monotonic()
        for j in self._jobs:
            if now < j.due:
                continue
            if self.lease is not None and now + (self.clock.monotonic() - t0) >= self._held_until:
                break  # our lease may have lapsed during the ticks before: leave the rest to the next holder
            j.due = now + j.every_s
            j.runs += 1
            ran.append(j.name)
            try:
                j.fn(self.store, now)
            except Exception:  # one failing tick must not stop the loop or the ticks after it
                j.failures += 1
                log.exception("background job %r failed; it runs again in %.0f s", j.name, j.every_s)
        return ran

    def start(self) -> None:
        """Run the loop on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="telltale-jobs", daemon=True)
        self._thread.start()
        if self.lease is not None:
            self._heart = threading.Thread(target=self._heartbeat, name="telltale-lease", daemon=True)
            self._heart.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop, and give the lease up so another replica takes over at once."""
        self._stop.set()
        for t in (self._thread, self._heart):
            if t is not None:
                t.join(timeout)
        self._thread = self._heart = None
        if self.lease is not None and self._held_until > float("-inf"):
            try:
                self.store.release_lease(self.lease.name, self.lease.holder, self.clock.now())
            except Exception:  # the store is gone: the lease lapses by itself
                log.warning("lease %r not released; it lapses in %.0f s", self.lease.name, self.lease.ttl_s, exc_info=True)
            self._held_until = float("-inf")

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            self.run_due(now)
            if self.lease is not None and not now < self._held_until:
                self._stop.wait(self.lease.retry_s)  # a standby: try again for the lease soon
                continue
            nxt = min((j.due for j in self._jobs), default=now + 60.0)
            self._stop.wait(max(0.05, min(nxt - self.clock.now(), 60.0)))

    def _heartbeat(self) -> None:
        """Renew the lease on time even while a long tick runs on the loop's thread."""
        if self.lease is None:
            return
        while not self._stop.wait(self.lease.ttl_s / 6):
            self.leads(self.clock.now())


def default_jobs(store: Store, *, clock: Clock = SYSTEM_CLOCK, monitor_every_s: float = 60.0,
                 lease: LeaseSettings | None = None) -> Jobs:
    """The loop ``telltale serve`` runs: monitor, then policy, then alerts (one line each);
    ``telltale serve`` passes a :class:`LeaseSettings` so that replicas run it once."""
    from telltale.alerts import TICK_S, deliver_due
    from telltale.monitor.tick import tick as monitor_tick
    from telltale.policy import tick as policy_tick

    jobs = Jobs(store, clock=clock, lease=lease)
    jobs.add("monitor", monitor_every_s, monitor_tick)
    jobs.add("policy", monitor_every_s, policy_tick)
    jobs.add("alerts", TICK_S, deliver_due)
    return jobs
