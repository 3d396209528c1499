"""The sequential change detector's life cycle, shared by every detector kind.

A detector learns a baseline from its first ``reference`` finite values, then watches a
bank of one-sided CUSUM charts (one per shift it is tuned for, both directions). When a
chart crosses its threshold it raises an **onset** alarm, freezes the baseline and
watches one chart for the **return** to it; when that one crosses, a return alarm, and
it watches for onsets again against the same baseline. While quiet, the baseline is
re-learnt every ``refresh`` values from the ``reference`` quiet values before the last
``refresh`` (and only when every chart is below half its threshold), so slow cycles are
followed while a step that has just begun is not learnt away before it is detected. Values in an episode never enter the baseline.

Subclasses say how a baseline is fitted and what each chart adds per value, as
log-likelihood ratios; the recursion runs vectorised over whole chunks
(:mod:`telltale.detect._lindley`), so ``run(values)`` over a million values costs a few
NumPy passes, and ``update(x)`` is ``run`` of one value (same code, same answers).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from telltale.detect import _lindley

#: Most values processed in one vectorised pass (bounds the temporaries to a few MB).
CHUNK = 1 << 15
#: Raw values kept to estimate the level of an excursion ("after") when it is detected.
MEMORY = 1 << 14


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm. ``index`` is the value (0-based, counting every value given, NaN too)
    at which the detector fired; ``start`` the first value of the change as the CUSUM
    estimates it (the value after the chart last sat at zero). ``onset`` is False for a
    return to the baseline. ``before`` and ``after`` are levels in the values' own units
    (a mean for :class:`Cusum`, a rate for :class:`RateCusum`); ``statistic`` and
    ``threshold`` are the chart's, in log-likelihood-ratio units."""

    index: int
    start: int
    direction: int
    onset: bool
    before: float
    after: float
    statistic: float
    threshold: float
    shift: float  # the shift the alarming chart is tuned for (sd for Cusum, odds ratio for RateCusum)


class Detector(ABC):
    """Base of the detectors: not used directly (see :class:`Cusum`, :class:`RateCusum`)."""

    #: Columns of one value as stored (1 for a number, 2 for a count and its total).
    width = 1

    def __init__(self, *, arl0: float, reference: int, refresh: int | None) -> None:
        if not arl0 > 1:
            raise ValueError(f"arl0 must be greater than 1 (values between false alarms), got {arl0}")
        if not (isinstance(reference, int) and reference >= 2):
            raise ValueError(f"reference must be an integer of at least 2 values, got {reference!r}")
        if refresh is not None and not (isinstance(refresh, int) and refresh >= 1):
            raise ValueError(f"refresh must be None or a positive integer number of values, got {refresh!r}")
        self.arl0 = float(arl0)
        self.reference = reference
        self.refresh = refresh
        self.reset()

    # -- the protocol --------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: the next values are a new reference."""
        self.drift_detected = False
        self.alarms: list[Alarm] = []
        self.n_seen = 0
        self.baseline: Any = None
        self.episode: Alarm | None = None  # the open onset alarm, while shifted
        empty = np.empty((0,) if self.width == 1 else (0, self.width))
        self._ref = empty  # quiet values (finite only) and their indices
        self._ref_at = np.empty(0, dtype=np.int64)
        self._recent = empty
        self._s = np.empty(0)
        self._starts = np.empty(0, dtype=np.int64)
        self._since_fit = 0
        self._ret: tuple[np.ndarray, float, float] | None = None  # return chart: params, threshold, shift

    def update(self, x: Any) -> None:
        """Feed one value; ``drift_detected`` then says whether it raised an alarm."""
        self.run([x])

    def run(self, values: Any) -> list[Alarm]:
        """Feed many values at once (vectorised); returns the alarms they raised, in order.

        Afterwards ``drift_detected`` says whether the last value raised one, as after
        the same values fed one by one to ``update``.
        """
        x = self._coerce(values)
        out: list[Alarm] = []
        i = 0
        while i < len(x):
            if self.baseline is None:
                i += self._learn(x[i:])
            elif self.episode is None:
                i += self._watch(x[i:], out)
            else:
                i += self._shifted(x[i:], out)
        self.drift_detected = bool(out) and out[-1].index == self.n_seen - 1
        self.alarms.extend(out)
        return out

    def level(self, values: Any) -> float:
        """The level of some values as this detector measures it (a median, or a rate)."""
        return self._level(self._coerce(values))

    # -- phases --------------------------------------------------------------------------
    def _learn(self, x: np.ndarray) -> int:
        fin = self._finite(x)
        need = self.reference - len(self._ref)
        count = np.cumsum(fin)
        j = int(np.searchsorted(count, need))  # the value that completes the reference
        used = min(j + 1, len(x))
        self._remember(x[:used], fin[:used], self.n_seen)
        self._advance(x[:used])
        if len(self._ref) >= self.reference:
            self._fit()
        return used

    def _fit(self) -> None:
        self.baseline = self._fit_baseline(self._ref[-self.reference:])
        self._h, self._params = self._onset_charts(self.baseline)
        self._s = np.zeros(len(self._h))
        self._starts = np.full(len(self._h), self.n_seen, dtype=np.int64)
        self._since_fit = 0

    def _watch(self, x: np.ndarray, out: list[Alarm]) -> int:
        end = min(len(x), CHUNK)
        if self.refresh is not None:
            end = min(end, self.refresh - self._since_fit)
        chunk = x[:end]
        u, gaps = self._series(chunk, self._params)
        crossing, self._s, starts = _lindley.run(self._params[-1], u, self._s, self._h, gaps=gaps)
        self._starts = np.where(starts >= 0, self.n_seen + starts, self._starts)
        used = end if crossing is None else crossing.row + 1
        if self.refresh is not None:  # the quiet values the baseline is re-learnt from
            self._remember(chunk[:used], self._finite(chunk[:used]), self.n_seen)
        t0 = self.n_seen
        self._advance(chunk[:used])
        self._since_fit += used
        if crossing is not None:
            start = t0 + crossing.start if crossing.start >= 0 else int(self._starts[crossing.chart])
            span = self._recent[-(self.n_seen - start):]
            direction, shift = self._chart(crossing.chart)
            alarm = Alarm(self.n_seen - 1, start, direction, True, self._level_of(self.baseline), self._level(span),
                          crossing.statistic, float(self._h[crossing.chart]), shift)
            keep = self._ref_at < start
            self._ref, self._ref_at = self._ref[keep], self._ref_at[keep]
            self.episode = alarm
            self._ret = self._return_chart(self.baseline, crossing.chart, span)
            self._ret_s, self._ret_start = np.zeros(1), self.n_seen
            out.append(alarm)
        elif self.refresh is not None and self._since_fit >= self.refresh and bool(np.all(self._s < self._h / 2)) \
                and len(ref := self._ref[self._ref_at < self.n_seen - self.refresh]) >= self.reference:
            self.baseline = self._fit_baseline(ref[-self.reference:])
            self._h, self._params = self._onset_charts(self.baseline)
            self._since_fit = 0
        elif self.refresh is not None and self._since_fit >= self.refresh:
            self._since_fit = 0  # not now: try again after another refresh period
        return used

    def _shifted(self, x: np.ndarray, out: list[Alarm]) -> int:
        params, h, shift = self._ret  # type: ignore[misc]
        chunk = x[: min(len(x), CHUNK)]
        u, gaps = self._series(chunk, params)
        crossing, self._ret_s, starts = _lindley.run(params[-1], u, self._ret_s, np.array([h]), gaps=gaps)
        if starts[0] >= 0:
            self._ret_start = self.n_seen + int(starts[0])
        used = len(chunk) if crossing is None else crossing.row + 1
        self._advance(chunk[:used])
        if crossing is not None:
            start = self._ret_start
            span = self._recent[-(self.n_seen - start):]
            ep = self.episode
            alarm = Alarm(self.n_seen - 1, start, -ep.direction, False, ep.after, self._level(span),  # type: ignore[union-attr]
                          crossing.statistic, h, shift)
            self.episode, self._ret = None, None
            self._s = np.zeros(len(self._h))
            self._starts = np.full(len(self._h), self.n_seen, dtype=np.int64)
            self._since_fit = 0
            out.append(alarm)
        return used

    def _advance(self, x: np.ndarray) -> None:
        self.n_seen += len(x)
        self._recent = np.concatenate([self._recent[len(x) - MEMORY:] if len(x) < MEMORY else self._recent[:0], x[-MEMORY:]])

    def _remember(self, x: np.ndarray, fin: np.ndarray, t0: int) -> None:
        at = t0 + np.flatnonzero(fin)
        keep = self.reference + (self.refresh or 0)
        self._ref = np.concatenate([self._ref, x[fin]])[-keep:]
        self._ref_at = np.concatenate([self._ref_at, at])[-keep:]

    # -- what a kind of detector says ------------------------------------------------------
    @abstractmethod
    def _coerce(self, values: Any) -> np.ndarray:
        ...

    @abstractmethod
    def _finite(self, x: np.ndarray) -> np.ndarray:
        ...

    @abstractmethod
    def _fit_baseline(self, ref: np.ndarray) -> Any:
        ...

    @abstractmethod
    def _onset_charts(self, baseline: Any) -> tuple[np.ndarray, Any]:
        ...

    @abstractmethod
    def _chart(self, j: int) -> tuple[int, float]:
        ...

    @abstractmethod
    def _series(self, x: np.ndarray, params: Any) -> tuple[np.ndarray, bool]:
        """The series (rows) whose combinations by ``params[-1]`` (charts x series) are the
        increments, and whether any value is missing (adds zero to every chart)."""
        ...

    @abstractmethod
    def _return_chart(self, baseline: Any, chart: int, span: np.ndarray) -> tuple[Any, float, float]:
        ...

    @abstractmethod
    def _level(self, span: np.ndarray) -> float:
        ...

    @abstractmethod
    def _level_of(self, baseline: Any) -> float:
        ...
