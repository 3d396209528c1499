"""Two kinds of change detector: ``Cusum`` for numbers, ``RateCusum`` for counts.

Both are banks of two-sided CUSUM charts (Page 1954) with thresholds calibrated for a
stated in-control average run length ``arl0`` (:mod:`telltale.detect.calibrate`). A
bank of charts tuned for several shifts detects small steps nearly as fast as a chart
tuned for them and large steps nearly as fast as a chart tuned for those (Lorden's
multi-chart CUSUM), for a threshold a little higher than either alone.

- ``Cusum``: each value is standardised against a robust baseline (median, and 1.4826
  times the median absolute deviation, from the reference values) and clipped at
  ``clip`` sd, so one wild value adds at most ``clip`` to a chart and a heavy-tailed
  signal does not page on its outliers. The charts' allowance is widened by the
  median's standard error (1.2533 sd / sqrt(reference)) so that an unlucky reference
  does not make a chart creep up on stationary noise.
- ``RateCusum``: each value is a count and its total (errors of calls, nulls of rows)
  and each chart adds the binomial log-likelihood ratio of an alternative rate (the
  baseline's odds times or divided by each of ``ratios``) against the baseline. That is
  exact at any count, so Lorden's bound holds even for a minute of three calls; the
  baseline rate is floored at half a count of the reference and moved by one standard
  error towards each alternative, for the same reason as above.

>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal(600)
>>> x[400:] += 2.0
>>> d = Cusum(reference=200, arl0=10_000)
>>> [(a.index, a.start, a.direction) for a in d.run(x)]
[(407, 400, 1)]
>>> r = RateCusum(reference=60)
>>> for minute in range(120):
...     r.update((1 if minute % 10 == 0 else 0, 50) if minute < 90 else (12, 50))
>>> [(a.index, a.start, round(a.before, 4), round(a.after, 2)) for a in r.alarms]
[(90, 90, 0.002, 0.24)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from telltale.detect.calibrate import gaussian_threshold, llr_threshold
from telltale.detect.detector import Detector

#: Shifts, in robust sd, the numeric bank is tuned for: a minute signal that moves by one
#: sd is worth knowing within about half an hour, four sd within minutes.
SHIFTS = (1.0, 2.0, 4.0)
#: Odds ratios the rate bank is tuned for: from a 50% rise (many errors a minute) to a
#: tenfold one (an error a minute where there was one an hour).
RATIOS = (1.5, 3.0, 10.0)
#: A standardised value counts at most this many robust sd (Huber's idea): at 4, t-distributed
#: noise with 5 degrees of freedom false-alarmed twice as often as stated; at 3, within it.
CLIP = 3.0
#: Normal-consistency factor of the median absolute deviation.
MAD_SD = 1.4826
#: Standard error of a median of n normal values, in sd, times sqrt(n): sqrt(pi / 2).
MEDIAN_SE = 1.2533


@dataclass(frozen=True, slots=True)
class Level:
    """A numeric baseline: the reference's median and robust sd (1.4826 MAD); then the
    mean (``offset``) and sd (``scale``, raised by its standard error) of the reference's
    clipped standardised values, so that the charts see mean 0 and variance 1 on the
    reference however skewed or heavy-tailed it is (a one-step Huber estimate)."""

    median: float
    sd: float
    offset: float
    scale: float

    def z(self, x: np.ndarray, clip: float) -> np.ndarray:
        """Standardised, clipped values: mean 0 and variance 1 on the reference.

        ``(clip((x - median) / sd, -clip, clip) - offset) / scale``, as one multiply, one
        add and one clip (the hot loop of a million values).
        """
        alpha = 1.0 / (self.sd * self.scale)
        z = np.multiply(x, alpha)
        z += -(self.median * alpha + self.offset / self.scale)
        clipped: np.ndarray = np.clip(z, (-clip - self.offset) / self.scale, (clip - self.offset) / self.scale, out=z)
        return clipped

    @property
    def mean(self) -> float:
        """The level the charts are centred on, in the values' units."""
        return self.median + self.sd * self.offset


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate baseline: the reference's share, and the rates each direction is held to."""

    rate: float
    trials: float
    up: float  # one standard error above: what rises are measured from
    down: float  # one standard error below: what falls are measured from


class Cusum(Detector):
    """A bank of two-sided CUSUM charts on robustly standardised numbers.

    ``shifts`` are in robust sd; ``arl0`` is the mean number of values between false
    alarms on stationary noise (43,200: one a month of minutes); the first
    ``reference`` finite values are the baseline, re-learnt every ``refresh`` values
    while quiet (None: never). NaN and infinite values are skipped (a minute with no
    data moves no chart) but still count as values.
    """

    def __init__(self, *, shifts: tuple[float, ...] = SHIFTS, arl0: float = 43_200, reference: int = 120,
                 refresh: int | None = 60, clip: float = CLIP) -> None:
        if not shifts or any(not (s > 0 and math.isfinite(s)) for s in shifts):
            raise ValueError(f"shifts must be positive numbers of sd, got {shifts!r}")
        if not clip > max(shifts) / 2:
            raise ValueError(f"clip must exceed half the largest shift ({max(shifts) / 2:g} sd), got {clip!r}")
        self.shifts = tuple(sorted(float(s) for s in shifts))
        self.clip = float(clip)
        super().__init__(arl0=arl0, reference=reference, refresh=refresh)
        self._bank = self._make_bank()

    def _coerce(self, values: Any) -> np.ndarray:
        try:
            return np.asarray(values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Cusum takes numbers, got {type(values).__name__}: {e}") from None

    def _finite(self, x: np.ndarray) -> np.ndarray:
        finite: np.ndarray = np.isfinite(x)
        return finite

    def _fit_baseline(self, ref: np.ndarray) -> Level:
        med = _median(ref)
        sd = MAD_SD * _median(np.abs(ref - med))
        if sd == 0.0:
            sd = float(np.std(ref))  # mostly one value: the spread of the rest, if any
        sd = max(sd, 1e-9 * abs(med), 1e-300)
        z = np.clip((ref - med) / sd, -self.clip, self.clip)
        n = len(z)
        mean = float(z.sum()) / n
        z -= mean
        spread = math.sqrt(float(np.dot(z, z)) / n)
        return Level(med, sd, mean, max(spread, 1e-3) * (1 + 1 / math.sqrt(2 * n)))

    def _onset_charts(self, baseline: Level) -> tuple[np.ndarray, Any]:
        h, coef = self._bank
        return h, (baseline, coef)

    def _make_bank(self) -> tuple[np.ndarray, np.ndarray]:
        """Thresholds and per-value terms of the onset charts (they do not depend on the baseline)."""
        m = 2 * len(self.shifts)
        e = MEDIAN_SE / math.sqrt(self.reference)
        h, a, b = [], [], []
        for s in self.shifts:
            hz = gaussian_threshold(s / 2, m * self.arl0)
            for d in (1, -1):
                h.append(s * hz)
                a.append(s * d)
                b.append(s * (s / 2 + e))
        return np.array(h), np.column_stack([a, -np.array(b)])  # increment: a z - b, per finite value

    def _chart(self, j: int) -> tuple[int, float]:
        return (1 if j % 2 == 0 else -1), self.shifts[j // 2]

    def _series(self, x: np.ndarray, params: Any) -> tuple[np.ndarray, bool]:
        u = np.empty((2, len(x)))
        u[0] = params[0].z(x, self.clip)
        bad = np.isnan(u[0])
        if not bad.any():
            u[1] = 1.0
            return u, False
        u[0, bad] = 0.0
        np.logical_not(bad, out=bad)
        u[1] = bad
        return u, True

    def _return_chart(self, baseline: Level, chart: int, span: np.ndarray) -> tuple[Any, float, float]:
        d, s = self._chart(chart)
        fin = span[np.isfinite(span)]
        z = float(np.mean(baseline.z(fin, self.clip))) * d if len(fin) else s
        a = min(s, max(math.floor(z * 20) / 20, self.shifts[0]))  # the shift it is held to have, erring small
        h = a * gaussian_threshold(a / 2, self.arl0)
        return (baseline, np.array([[-a * d, a * a / 2]])), h, a

    def _level(self, span: np.ndarray) -> float:
        fin = span[np.isfinite(span)]
        return _median(fin) if len(fin) else math.nan

    def _level_of(self, baseline: Level) -> float:
        return baseline.median


class RateCusum(Detector):
    """A bank of two-sided binomial likelihood-ratio CUSUM charts on (count, total) pairs.

    ``update((k, n))`` feeds ``k`` events out of ``n`` trials (``n = 0``: no data, the
    charts stay). The first ``reference`` values with trials are the baseline; the
    rest as for :class:`Cusum`.
    """

    width = 2

    def __init__(self, *, ratios: tuple[float, ...] = RATIOS, arl0: float = 43_200, reference: int = 120,
                 refresh: int | None = 60) -> None:
        if not ratios or any(not (r > 1 and math.isfinite(r)) for r in ratios):
            raise ValueError(f"ratios must be odds ratios greater than 1, got {ratios!r}")
        self.ratios = tuple(sorted(float(r) for r in ratios))
        super().__init__(arl0=arl0, reference=reference, refresh=refresh)

    def _coerce(self, values: Any) -> np.ndarray:
        try:
            x = np.asarray(values, dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError) as e:
            raise ValueError(f"RateCusum takes (count, total) pairs, got {type(values).__name__}: {e}") from None
        with np.errstate(invalid="ignore"):
            bad = (x[:, 0] < 0) | (x[:, 0] > x[:, 1])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"value {i}: count {x[i, 0]:g} of total {x[i, 1]:g}; a count must be between 0 and its total")
        return x

    def _finite(self, x: np.ndarray) -> np.ndarray:
        finite: np.ndarray = np.isfinite(x).all(axis=1) & (x[:, 1] > 0)
        return finite

    def _fit_baseline(self, ref: np.ndarray) -> Rate:
        k, n = float(ref[:, 0].sum()), float(ref[:, 1].sum())
        lo, hi = 0.5 / n, 1.0 - 0.5 / n
        p = min(max(k / n, lo), hi)
        se = math.sqrt(p * (1 - p) / n)
        return Rate(k / n, n, min(p + se, hi), max(p - se, lo))

    def _onset_charts(self, baseline: Rate) -> tuple[np.ndarray, Any]:
        m = 2 * len(self.ratios)
        a, b = [], []
        for r in self.ratios:
            for p0, p1 in ((baseline.up, _odds_times(baseline.up, r)), (baseline.down, _odds_times(baseline.down, 1 / r))):
                # a rate that was 0 cannot fall (nor 1 rise): its floored chart would creep up on nothing
                moot = (baseline.rate == 0.0 and p1 < p0) or (baseline.rate == 1.0 and p1 > p0)
                a.append(0.0 if moot else math.log(p1 / p0))
                b.append(0.0 if moot else math.log((1 - p1) / (1 - p0)))
        return np.full(m, llr_threshold(m * self.arl0)), (np.column_stack([a, b]),)

    def _chart(self, j: int) -> tuple[int, float]:
        return (1 if j % 2 == 0 else -1), self.ratios[j // 2]

    def _series(self, x: np.ndarray, params: Any) -> tuple[np.ndarray, bool]:
        u = np.empty((2, len(x)))
        u[0] = x[:, 0]
        np.subtract(x[:, 1], x[:, 0], out=u[1])
        bad = ~self._finite(x)
        gaps = bool(bad.any())
        if gaps:
            u[:, bad] = 0.0
        return u, gaps

    def _return_chart(self, baseline: Rate, chart: int, span: np.ndarray) -> tuple[Any, float, float]:
        d, r = self._chart(chart)
        p0 = baseline.up if d > 0 else baseline.down
        p1 = _odds_times(p0, r if d > 0 else 1 / r)
        seen = self._level(span)
        lo, hi = 0.5 / baseline.trials, 1.0 - 0.5 / baseline.trials
        if d > 0:
            ps = min(p1, seen) if seen > p0 else _odds_times(p0, self.ratios[0])
        else:
            ps = max(p1, seen) if seen < p0 else _odds_times(p0, 1 / self.ratios[0])
        ps = min(max(ps, lo), hi)
        coef = np.array([[math.log(p0 / ps), math.log((1 - p0) / (1 - ps))]])
        return (coef,), llr_threshold(self.arl0), (ps / (1 - ps)) / (p0 / (1 - p0))

    def _level(self, span: np.ndarray) -> float:
        fin = span[np.isfinite(span).all(axis=1)]
        n = float(fin[:, 1].sum()) if len(fin) else 0.0
        return float(fin[:, 0].sum()) / n if n > 0 else math.nan

    def _level_of(self, baseline: Rate) -> float:
        return baseline.rate


def _median(x: np.ndarray) -> float:
    """np.median without its overhead, for the short arrays baselines are made of."""
    s = np.sort(x)
    n = len(s)
    return float(s[n // 2]) if n % 2 else 0.5 * float(s[n // 2 - 1] + s[n // 2])


def _odds_times(p: float, r: float) -> float:
    """The rate whose odds are ``r`` times those of ``p``."""
    o = p / (1 - p) * r
    return o / (1 + o)


__all__ = ["CLIP", "RATIOS", "SHIFTS", "Cusum", "Level", "Rate", "RateCusum"]
