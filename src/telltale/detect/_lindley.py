"""The CUSUM (Lindley) recursion for many charts at once, vectorised with NumPy.

``S_t = max(0, S_{t-1} + x_t)`` has the closed form ``S_t = C_t - min(-S_0, min_{s<=t} C_s)``
with ``C`` the cumulative sum of ``x``: a ``cumsum`` and a running minimum, no Python
loop. The last time a chart was at zero before it crossed is where its running minimum
was reached, which is the CUSUM's estimate of when the change began. Private: the
detectors in :mod:`telltale.detect.cusum` are the public face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Crossing:
    """The first value at which a chart went over its threshold, within one chunk."""

    row: int  # index in the chunk of the crossing value
    chart: int  # which chart crossed (the one furthest over its threshold, if several)
    start: int  # chunk index of the first value of the chart's excursion; -1: before the chunk
    statistic: float  # the chart's value at the crossing


def run(x: np.ndarray, s0: np.ndarray, h: np.ndarray) -> tuple[Crossing | None, np.ndarray, np.ndarray]:
    """Run charts with increments ``x`` (rows: values, columns: charts) from states ``s0``.

    Returns the first crossing of ``S > h`` (or None), the charts' states after the last
    row processed (the crossing row, or the last row) and, per chart, the chunk index of
    the start of its current excursion (-1 when it began before the chunk or when the
    chart is at zero after the row: then it starts at the next value).
    """
    n, m = x.shape
    c = np.empty((n + 1, m))
    c[0] = -s0
    np.cumsum(x, axis=0, out=c[1:])
    mins = np.minimum.accumulate(c, axis=0)
    s = c[1:] - mins[1:]
    over = s > h
    hit = over.any(axis=1)
    if hit.any():
        row = int(np.argmax(hit))
        excess = np.where(over[row], s[row] / h, -np.inf)
        chart = int(np.argmax(excess))
        crossing = Crossing(row, chart, _start(c[: row + 2, chart], mins[row + 1, chart], s0[chart]), float(s[row, chart]))
        return crossing, s[row].copy(), _starts(c[: row + 2], mins[row + 1], s0)
    return None, s[-1].copy(), _starts(c, mins[-1], s0)


def _start(col: np.ndarray, low: float, s0: float) -> int:
    """Chunk index of the first value after the last time ``col`` sat at its minimum."""
    at = int(np.flatnonzero(col == low)[-1])  # c[at] is the chart after value at-1 (c[0]: before the chunk)
    return -1 if at == 0 and s0 > 0 else at  # at 0 with s0 > 0 the excursion began in an earlier chunk


def _starts(c: np.ndarray, low: np.ndarray, s0: np.ndarray) -> np.ndarray:
    """``_start`` for every column at once."""
    at = (len(c) - 1) - np.argmax((c == low)[::-1], axis=0)
    return np.where((at == 0) & (s0 > 0), -1, at).astype(np.int64)
