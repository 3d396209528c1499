"""Error budgets and multiwindow, multi-burn-rate alerts (the Google SRE workbook, ch. 5).

The burn rate of a window is its bad share divided by the share the objective allows
(``1 - objective``): 1 spends the budget exactly over the period. An alert fires when
both its long and its short window burn at least its threshold: the long window says the
budget is really going, the short one that it still is (so the alert resolves within
minutes of recovery). Thresholds come from the share of the budget a window may spend,
``share * period / long window``, which for a 30-day period gives the workbook's figures:

=======  ==========  ===========  =====  =========
alert    long        short        share  threshold
=======  ==========  ===========  =====  =========
page     1 h         5 min        2%     14.4
page     6 h         30 min       5%     6
ticket   3 d         6 h          10%    1
=======  ==========  ===========  =====  =========

Windows cover whole closed minutes ending at the minute ``now`` is in. Below
``min_events`` in the long window the verdict is "not enough events", never a page; no
event for ``no_data_after`` while the service had records or the indicator had events
in the last three days is a ``no_data`` verdict of its own.

>>> s = Series.from_counts(0, bad=[0] * 55 + [10] * 5, total=[100] * 60)
>>> round(s.burn(3600, 3600, 0.999), 3), round(s.burn(3600, 300, 0.999), 3)
(8.333, 100.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

MINUTE = 60


@dataclass(frozen=True, slots=True)
class BurnWindow:
    """One alerting condition: a long and a short window and the budget share allowed."""

    alert: Literal["page", "ticket"]
    long_s: int
    short_s: int
    budget_share: float

    def threshold(self, period_s: float) -> float:
        return self.budget_share * period_s / self.long_s


#: The SRE workbook's recommended windows for a 30-day objective.
WORKBOOK: tuple[BurnWindow, ...] = (
    BurnWindow("page", 3600, 300, 0.02),
    BurnWindow("page", 21600, 1800, 0.05),
    BurnWindow("ticket", 259200, 21600, 0.10),
)

#: The longest alerting window: a period shorter than this cannot be alerted on.
LONGEST_S = max(w.long_s for w in WORKBOOK)


@dataclass(frozen=True, slots=True)
class Series:
    """Bad and total events per minute from ``start`` (epoch seconds of a minute), plus
    the service's record count per minute (to tell "no traffic" from "no indicator")."""

    start: int
    bad: np.ndarray
    total: np.ndarray
    records: np.ndarray

    @classmethod
    def from_counts(cls, start: int, bad: Sequence[float], total: Sequence[float], records: Sequence[float] | None = None) -> Series:
        if start % MINUTE:
            raise ValueError(f"a series starts on a minute, got {start}")
        b, t = np.asarray(bad, dtype=np.float64), np.asarray(total, dtype=np.float64)
        if b.shape != t.shape:
            raise ValueError(f"bad has {len(b)} minutes but total has {len(t)}")
        r = t if records is None else np.asarray(records, dtype=np.float64)
        return cls(start, b, t, r)

    def _slice(self, end: int, seconds: float) -> slice:
        lo = max(0, (end - int(seconds) - self.start) // MINUTE)
        hi = max(0, min(len(self.bad), (end - self.start) // MINUTE))
        return slice(lo, max(lo, hi))

    def sums(self, end: int, seconds: float) -> tuple[float, float]:
        """(bad, total) over the minutes in [end - seconds, end)."""
        s = self._slice(end, seconds)
        return float(self.bad[s].sum()), float(self.total[s].sum())

    def records_in(self, end: int, seconds: float) -> float:
        return float(self.records[self._slice(end, seconds)].sum())

    def burn(self, end: int, seconds: float, objective: float) -> float:
        return _burn(self, end, seconds, objective)


@dataclass(frozen=True, slots=True)
class BurnState:
    window: BurnWindow
    threshold: float
    burn_long: float
    burn_short: float
    events_long: float
    exceeded: bool  # both windows at or past the threshold
    firing: bool  # exceeded with enough events


@dataclass(frozen=True, slots=True)
class Verdict:
    """One SLO at one instant: budget, burn per alerting window, and what fires."""

    objective: float
    period_s: float
    events: float
    bad: float
    burns: list[BurnState] = field(default_factory=list)
    no_data: bool = False

    @property
    def budget_remaining(self) -> float | None:
        """Share of the period's error budget left (negative once overspent); None without events."""
        if not self.events:
            return None
        return 1.0 - self.bad / (self.events * (1.0 - self.objective))

    @property
    def page(self) -> bool:
        return any(b.firing and b.window.alert == "page" for b in self.burns)

    @property
    def ticket(self) -> bool:
        return any(b.firing and b.window.alert == "ticket" for b in self.burns)

    @property
    def not_enough_events(self) -> bool:
        """A window burned past its threshold but on too few events to page on."""
        return any(b.exceeded and not b.firing for b in self.burns)

    @property
    def status(self) -> str:
        if self.no_data:
            return "no data"
        if self.page:
            return "page"
        if self.ticket:
            return "ticket"
        if self.not_enough_events:
            return "not enough events"
        return "ok"


class Sums(Protocol):
    """Anything that sums events over the minutes in [end - seconds, end): a ``Series``, or
    sums the store computed in SQL (``telltale.policy.slo``)."""

    def sums(self, end: int, seconds: float) -> tuple[float, float]: ...

    def records_in(self, end: int, seconds: float) -> float: ...


def spans(period_s: float, no_data_after: float, windows: Sequence[BurnWindow] = WORKBOOK) -> list[float]:
    """Every span a verdict sums over."""
    return sorted({period_s, no_data_after, LONGEST_S, *(w.long_s for w in windows), *(w.short_s for w in windows)})


def _burn(s: Sums, end: int, seconds: float, objective: float) -> float:
    bad, total = s.sums(end, seconds)
    return (bad / total) / (1.0 - objective) if total else 0.0


def verdict(series: Sums, now: float, objective: float, period_s: float, *, min_events: int = 100,
            no_data_after: float = 900.0, windows: Sequence[BurnWindow] = WORKBOOK) -> Verdict:
    """The SLO's verdict at ``now`` from per-minute events (no clock is read)."""
    end = int(now // MINUTE) * MINUTE
    bad, events = series.sums(end, period_s)
    burns = []
    for w in windows:
        thr = w.threshold(period_s)
        long_bad, long_total = series.sums(end, w.long_s)
        bl = _burn(series, end, w.long_s, objective)
        bs = _burn(series, end, w.short_s, objective)
        exceeded = long_bad > 0 and bl >= thr and bs >= thr
        burns.append(BurnState(w, thr, bl, bs, long_total, exceeded, exceeded and long_total >= min_events))
    recent = series.sums(end, no_data_after)[1]
    before = series.sums(end, LONGEST_S)[1] + series.records_in(end, no_data_after)
    return Verdict(objective, period_s, events, bad, burns, no_data=recent == 0 and before > 0)
