"""Keeps a guard's control mode fresh without touching the hot path.

A daemon thread reads the ``ControlSource`` every ``poll_s`` seconds (real time); the
guard also nudges it when its own clock says a poll is due, so an injected clock drives
polling in tests and drills. The hot path reads ``poller.state``: one attribute. A source
that fails keeps the last known state and counts the error.
"""

from __future__ import annotations

import threading

from telltale.clock import Clock
from telltale.control import MAX_POLL_S, ControlSource, ControlState


class ControlPoller:
    def __init__(self, source: ControlSource, service: str, poll_s: float, clock: Clock) -> None:
        self._source = source
        self._service = service
        self.poll_s = min(float(poll_s), MAX_POLL_S)
        self._clock = clock
        self.state = ControlState()
        self.normal = True  # state.mode == "normal", read on the hot path
        self.polls = 0
        self.errors = 0
        self.last_error: str | None = None
        self.next_due = clock.monotonic() + self.poll_s
        self._wake = threading.Event()
        self._stop = False
        self.refresh()
        self._thread = threading.Thread(target=self._run, name=f"telltale-control-{service}", daemon=True)
        self._thread.start()

    def refresh(self) -> ControlState:
        """Read the source now (the background thread does this on its own)."""
        try:
            state = self._source.get(self._service)
        except Exception as e:  # unreachable source: keep the last known mode
            self.errors += 1
            self.last_error = f"{type(e).__name__}: {e}"
        else:
            self.state = state
            self.normal = state.mode == "normal"
        self.polls += 1
        return self.state

    def nudge(self, now: float) -> None:
        """Called by the guard when its clock passed ``next_due``: poll soon, off this thread."""
        self.next_due = now + self.poll_s
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stop:
                return
            self.refresh()
            self.next_due = self._clock.monotonic() + self.poll_s

    @property
    def source(self) -> ControlSource:
        return self._source

    def close(self) -> None:
        self._stop = True
        self._wake.set()
