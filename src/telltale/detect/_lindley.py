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


def run(coef: np.ndarray, u: np.ndarray, s0: np.ndarray, h: np.ndarray, *, gaps: bool = True) -> tuple[Crossing | None, np.ndarray, np.ndarray]:
    """Run charts whose increments are ``coef @ u`` from states ``s0``.

    ``u`` holds a few series (rows) over the chunk's values (columns) and each chart's
    increment is a fixed combination of them (for a Gaussian chart ``a z - b``, for a
    binomial one ``a k + b (n - k)``), so the cumulative sums of all charts are one
    matrix product of the series' cumulative sums. ``gaps=False`` says no value adds
    exactly zero (no missing values), so a chart's minimum is reached once and can be
    found by bisection on the running minimum instead of a pass over the chunk.

    Returns the first crossing of ``S > h`` (or None), the charts' states after the last
    value processed (the crossing value, or the last one) and, per chart, the chunk index
    of the start of its current excursion (-1 when it began before the chunk; the next
    value's index when the chart is at zero).
    """
    m, n = len(coef), u.shape[1]
    c = np.empty((m, n + 1))
    c[:, 0] = -s0
    np.matmul(coef, np.cumsum(u, axis=1), out=c[:, 1:])
    mins = np.minimum.accumulate(c, axis=1)
    s = np.subtract(c[:, 1:], mins[:, 1:])
    over = s > h[:, None]
    if over.any():
        col = int(np.argmax(over.any(axis=0)))
        excess = np.where(over[:, col], s[:, col] / h, -np.inf)
        chart = int(np.argmax(excess))
        starts = _starts(c[:, : col + 2], mins[:, : col + 2], s0, gaps)
        return Crossing(col, chart, int(starts[chart]), float(s[chart, col])), s[:, col].copy(), starts
    return None, s[:, -1].copy(), _starts(c, mins, s0, gaps)


def _starts(c: np.ndarray, mins: np.ndarray, s0: np.ndarray, gaps: bool) -> np.ndarray:
    """Per chart, the chunk index of the first value after the last time it sat at its minimum.

    ``c[:, k]`` is the chart after value ``k - 1`` (``c[:, 0]``: before the chunk), so a
    minimum at ``k`` starts the excursion at value ``k``; at 0 with a positive state the
    excursion began in an earlier chunk (-1).
    """
    n = c.shape[1]
    if gaps:
        at = (n - 1) - np.argmin(c[:, ::-1], axis=1)  # argmin finds the first minimum: the last, reversed
    else:  # the running minimum first reaches its final value where the chart last sat at zero
        at = np.array([np.searchsorted(-row, -row[-1], side="left") for row in mins])
    return np.where((at == 0) & (s0 > 0), -1, at).astype(np.int64)
