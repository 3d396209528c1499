"""The guard's counters, and a snapshot of them with its parts' state.

Calls are counted by source without a lock: every call ticks an ``itertools.count``,
whose ``next`` is one C call and so atomic under the GIL, so with many threads every call
is still counted exactly once under the source that served it. The rarer events and gate
triggers are counted under one lock.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telltale.guard.guard import Guard


class Counters:
    """Named counts: calls by source, guard triggers by gate name, and events."""

    __slots__ = ("_lock", "_ticks", "_reads", "triggers", "events")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # source -> a tick counter; a count cannot be read without advancing it, so a
        # read (under the lock) takes a tick too, and the ticks taken by reads are kept
        # in _reads and subtracted
        self._ticks: dict[str, itertools.count[int]] = {}
        self._reads: dict[str, int] = {}
        self.triggers: Counter[str] = Counter()
        self.events: Counter[str] = Counter()

    def served(self, source: str) -> None:
        tick = self._ticks.get(source)
        if tick is None:
            tick = self.ticker(source)
        next(tick)

    def ticker(self, source: str) -> itertools.count[int]:
        """The counter of ``source``: ``next(ticker)`` counts one call, as ``served`` does."""
        with self._lock:
            self._reads.setdefault(source, 0)
            return self._ticks.setdefault(source, itertools.count())

    def trigger(self, gate: str) -> None:
        with self._lock:
            self.triggers[gate] += 1

    def add(self, event: str, n: int = 1) -> None:
        with self._lock:
            self.events[event] += n

    def by_source(self) -> dict[str, int]:
        """Calls so far by the source that served them (one consistent reading)."""
        with self._lock:
            out = {}
            for source, tick in list(self._ticks.items()):
                reads = self._reads[source]
                n = next(tick) - reads
                self._reads[source] = reads + 1
                if n:
                    out[source] = n
            return out

    @property
    def calls(self) -> int:
        return sum(self.by_source().values())


@dataclass(slots=True, frozen=True)
class GuardStats:
    """What a guard has done so far; ``attempts_per_call`` is model attempts over model calls."""

    calls: int
    by_source: dict[str, int]
    triggers: dict[str, int]
    events: dict[str, int]
    breaker_state: str | None
    breaker_changes: int
    breaker_rejected: int
    retry_tokens: float | None
    retries: int
    in_flight: int
    peak_in_flight: int
    shed: int
    timeouts: int
    late_answers: int
    late_pending: int
    control_mode: str
    control_polls: int
    shadow: dict[str, int] = field(default_factory=dict)
    recorder: Any = None

    @property
    def fallback_rate(self) -> float:
        served = self.by_source.get("model", 0) + self.by_source.get("canary", 0)
        return 1.0 - served / self.calls if self.calls else 0.0

    @classmethod
    def collect(cls, g: Guard) -> GuardStats:
        c = g.counters
        by_source = c.by_source()
        calls = sum(by_source.values())
        with c._lock:
            triggers, events = dict(c.triggers), dict(c.events)
        b, bh, r, late, poller, shadow = g.breaker, g.bulkhead, g.retry, g._late, g._poller, g._shadow
        rec = g._recorder
        return cls(
            calls=calls, by_source=by_source, triggers=triggers, events=events,
            breaker_state=b.state if b is not None else None,
            breaker_changes=b.change_count if b is not None else 0,
            breaker_rejected=b.rejected if b is not None else 0,
            retry_tokens=r.budget.tokens if r is not None else None,
            retries=events.get("retries", 0),
            in_flight=bh.in_flight if bh is not None else 0,
            peak_in_flight=bh.peak if bh is not None else 0,
            shed=bh.shed if bh is not None else 0,
            timeouts=events.get("timeouts", 0),
            late_answers=late.late_answers, late_pending=late.pending,
            control_mode=poller.state.mode if poller is not None else "normal",
            control_polls=poller.polls if poller is not None else 0,
            shadow=({"runs": shadow.runs, "errors": shadow.errors, "skipped": shadow.skipped, "pending": shadow.pending}
                    if shadow is not None else {}),
            recorder=getattr(rec, "stats", None) if rec is not None else None,
        )
