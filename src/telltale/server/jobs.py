"""The server's background loop: registered ticks, run in order, each on its own period.

``telltale serve`` runs :func:`default_jobs`: the monitor every minute, then (as they
register here) the policy and the alert outbox, in that order, so each sees what the
one before it just wrote. A tick is ``fn(store, now)``; one that raises is logged and
retried on its next period, never allowed to stop the others. Time comes from the
injected clock: tests call :meth:`Jobs.run_due` with a ``ManualClock`` and replay days
of ticks in seconds; only :meth:`Jobs.start` uses a real thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.store import Store

log = logging.getLogger(__name__)

Tick = Callable[[Store, float], object]


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

    def __init__(self, store: Store, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.clock = clock
        self._jobs: list[_Job] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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

    def run_due(self, now: float) -> list[str]:
        """Run every job due at ``now``, in registration order; the names of those that ran."""
        ran = []
        for j in self._jobs:
            if now < j.due:
                continue
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

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            self.run_due(now)
            nxt = min((j.due for j in self._jobs), default=now + 60.0)
            self._stop.wait(max(0.05, min(nxt - self.clock.now(), 60.0)))


def default_jobs(store: Store, *, clock: Clock = SYSTEM_CLOCK, monitor_every_s: float = 60.0) -> Jobs:
    """The loop ``telltale serve`` runs: monitor, then policy, then alerts (one line each)."""
    from telltale.alerts import TICK_S, deliver_due
    from telltale.monitor.tick import tick as monitor_tick
    from telltale.policy import tick as policy_tick

    jobs = Jobs(store, clock=clock)
    jobs.add("monitor", monitor_every_s, monitor_tick)
    jobs.add("policy", monitor_every_s, policy_tick)
    jobs.add("alerts", TICK_S, deliver_due)
    return jobs
