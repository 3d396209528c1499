"""A circuit breaker on a sliding window of calls: closed, open, half-open.

In the manner of resilience4j: the window is the last ``window_size`` calls (count) or
the last ``window_size`` seconds (time). Once it holds at least ``min_calls`` calls and
the failure rate reaches ``failure_rate`` the breaker opens and every call fails fast to
the fallback. After ``open_wait_s`` it lets exactly ``half_open_calls`` trial calls
through; their failure rate decides between closing and opening again. Besides errors and
timeouts it can trip on quality: the rate of out-of-distribution inputs or of
low-confidence outputs. Every state change is kept in a small ring and counted.

Every call but one kind takes the breaker's lock. The common one, a clean success while
closed, once a count window holds ``min_calls`` calls, only ticks a counter (see
``record``): such a success can never open the breaker, so it only has to be counted
before the next decision, which folds the ticks into the window under the lock.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telltale.clock import Clock
from telltale.spec.model import BreakerSettings

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)

#: Outcome bits kept per call in the window.
FAILURE, OOD, LOW_CONFIDENCE = 1, 2, 4


@dataclass(slots=True, frozen=True)
class StateChange:
    """One transition: when (monotonic and wall seconds), from, to, and why in words."""

    at: float
    ts: float
    old: str
    new: str
    reason: str


class CircuitBreaker:
    """Thread-safe breaker; ``allow()`` before a call, ``record(outcome)`` after it.

    >>> from telltale.clock import ManualClock
    >>> b = CircuitBreaker(BreakerSettings(window_size=4, min_calls=4, failure_rate=0.5), ManualClock())
    >>> for _ in range(4):
    ...     _ = b.allow(); b.record(FAILURE)
    >>> b.state, b.allow()
    ('open', False)
    """

    def __init__(self, settings: BreakerSettings, clock: Clock, *,
                 on_change: Callable[[StateChange], None] | None = None, history: int = 100) -> None:
        self.settings = settings
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._time_window = settings.window == "time"
        self._size = settings.window_size
        self._rate = settings.failure_rate
        self._min_calls = settings.min_calls
        self._wait = settings.open_wait_s
        self._trials = settings.half_open_calls
        self._ood_rate = settings.ood_rate
        self._lowc_rate = settings.low_confidence_rate
        self.state = CLOSED
        self.changes: deque[StateChange] = deque(maxlen=history)
        self.change_count = 0
        self.rejected = 0
        self._ok_ticks: itertools.count[int] | None = None  # set while clean successes may skip the lock
        self._ok_seen = 0
        self._reset_window()
        self._opened_at = 0.0
        self._trial_issued = 0
        self._trial_done = 0
        self._trial_failed = 0

    # -- the hot path -------------------------------------------------------------------
    def allow(self) -> bool:
        """May a call go to the model now? Counts a rejection when not."""
        if self.state is CLOSED:
            return True
        with self._lock:
            if self.state is OPEN:
                if self._clock.monotonic() - self._opened_at < self._wait:
                    self.rejected += 1
                    return False
                self._move(HALF_OPEN, f"open for {self._wait:g} s; letting {self._trials} trial calls through")
            if self.state is HALF_OPEN:
                if self._trial_issued < self._trials:
                    self._trial_issued += 1
                    return True
                self.rejected += 1
                return False
            return True

    def record(self, outcome: int) -> None:
        """Record one finished call: 0 for a clean success, else FAILURE|OOD|LOW_CONFIDENCE bits."""
        ticks = self._ok_ticks  # one read: the counter of the current closed stretch, or None
        if ticks is not None and not outcome:
            # Lock-free: next() on an itertools.count is one C call, atomic under the GIL.
            # Safe because _ok_ticks is set only while closed with a count window that
            # holds >= min_calls calls and passed its last check: a success then only
            # lowers every rate (it adds a call or replaces the oldest one), so it cannot
            # open the breaker. The ticks are folded into the window, in order, before
            # the next call that takes the lock decides anything. A state change drops
            # the counter: a success that ticks it after that finished while not closed,
            # and does not count, as before.
            next(ticks)
            return
        with self._lock:
            if self.state is CLOSED:
                self._fold()
                self._add(outcome)
                if (self._fail or self._ood or self._lowc) and self._n >= self._min_calls:
                    reason = self._trip_reason()
                    if reason:
                        self._open(reason)
                        return
                if self._ok_ticks is None and not self._time_window and self._n >= self._min_calls:
                    self._ok_ticks, self._ok_seen = itertools.count(), 0
            elif self.state is HALF_OPEN and self._trial_done < self._trial_issued:
                self._trial_done += 1
                if outcome & FAILURE:
                    self._trial_failed += 1
                if self._trial_done >= self._trials:
                    rate = self._trial_failed / self._trials
                    if rate >= self._rate:
                        self._open(f"{self._trial_failed} of {self._trials} trial calls failed "
                                   f"(rate {rate:.0%} >= {self._rate:.0%})")
                    else:
                        self._move(CLOSED, f"{self._trials - self._trial_failed} of {self._trials} trial calls succeeded")
                        self._reset_window()
            # calls that finish while open (started before it opened) do not count

    def cancel_trial(self) -> None:
        """A call let through in half-open never ran (it was shed): give its permit back."""
        if self.state is HALF_OPEN:
            with self._lock:
                if self.state is HALF_OPEN and self._trial_issued > self._trial_done:
                    self._trial_issued -= 1

    # -- window -------------------------------------------------------------------------
    def _reset_window(self) -> None:
        # count window: outcomes only, the deque drops the oldest; time window: (time, outcome)
        self._ring: deque[Any] = deque() if self._time_window else deque(maxlen=self._size)
        self._n = self._fail = self._ood = self._lowc = 0
        self._ok_ticks = None

    def _fold(self) -> None:
        """Add the successes ticked without the lock to the window (under the lock).

        A count cannot be read without a tick of its own, so ``_ok_seen`` counts the
        ticks already accounted for, this read's included.
        """
        ticks = self._ok_ticks
        if ticks is None:
            return
        t = next(ticks)
        new, self._ok_seen = t - self._ok_seen, t + 1
        ring = self._ring
        for _ in range(min(new, self._size)):  # more than the window's size leaves only these
            if len(ring) == self._size and ring[0]:
                self._drop(ring[0])
            ring.append(0)
        self._n = len(ring)

    def _add(self, outcome: int) -> None:
        ring = self._ring
        if self._time_window:
            now = self._clock.monotonic()
            ring.append((now, outcome))
            horizon = now - self._size
            while ring and ring[0][0] <= horizon:
                self._drop(ring.popleft()[1])
        else:
            if len(ring) == self._size and ring[0]:
                self._drop(ring[0])
            ring.append(outcome)
        self._n = len(ring)
        if outcome:
            self._fail += outcome & FAILURE
            self._ood += (outcome & OOD) >> 1
            self._lowc += (outcome & LOW_CONFIDENCE) >> 2

    def _drop(self, outcome: int) -> None:
        if outcome:
            self._fail -= outcome & FAILURE
            self._ood -= (outcome & OOD) >> 1
            self._lowc -= (outcome & LOW_CONFIDENCE) >> 2

    def _trip_reason(self) -> str | None:
        n = self._n
        if n < self._min_calls:
            return None
        if self._fail and self._fail / n >= self._rate:
            return f"failure rate {self._fail / n:.0%} over the last {n} calls reached {self._rate:.0%}"
        if self._ood_rate is not None and self._ood and self._ood / n >= self._ood_rate:
            return f"out-of-distribution input rate {self._ood / n:.0%} over the last {n} calls reached {self._ood_rate:.0%}"
        if self._lowc_rate is not None and self._lowc and self._lowc / n >= self._lowc_rate:
            return f"low-confidence output rate {self._lowc / n:.0%} over the last {n} calls reached {self._lowc_rate:.0%}"
        return None

    # -- transitions --------------------------------------------------------------------
    def _open(self, reason: str) -> None:
        self._opened_at = self._clock.monotonic()
        self._move(OPEN, f"{reason}; failing fast for {self._wait:g} s")

    def _move(self, new: str, reason: str) -> None:
        self._fold()
        self._ok_ticks = None  # successes ticked after this do not count (the call finished while open)
        old, self.state = self.state, new
        if new is HALF_OPEN:
            self._trial_issued = self._trial_done = self._trial_failed = 0
        change = StateChange(self._clock.monotonic(), self._clock.now(), old, new, reason)
        self.changes.append(change)
        self.change_count += 1
        if self._on_change is not None:
            try:
                self._on_change(change)
            except Exception:  # a metrics hook must never break the guard
                pass

    @property
    def window_calls(self) -> int:
        with self._lock:
            self._fold()
            return self._n
