"""False alarms on long stationary noise, against the calibration: at most one per signal
per 30 days of minutes (43,200), with the monitor's detectors and a seeded generator.

Each test runs five simulated signal-months; the calibration allows five false alarms
on average (fewer: the bank's union bound is conservative). A Poisson count with mean 5
exceeds 12 one time in 500, so a count over 12 means the calibration does not hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from telltale.detect.findings import ARL0_MIN, detector_for
from telltale.detect.signals import SIGNALS

MONTH = 30 * 24 * 60
STREAMS = 5
NUMBER = next(s for s in SIGNALS if not s.rate)
RATE = next(s for s in SIGNALS if s.rate)


def _false_alarms(signal, streams) -> int:
    return sum(sum(a.onset for a in detector_for(signal).run(x)) for x in streams)


def test_the_monitor_is_calibrated_for_one_false_alarm_a_month():
    assert ARL0_MIN == MONTH == 43_200


def test_normal_noise():
    rng = np.random.default_rng(20261201)
    assert _false_alarms(NUMBER, (rng.standard_normal(MONTH) for _ in range(STREAMS))) <= 12


def test_heavy_tailed_latency_does_not_page():
    # the per-minute p95 (19th of 20) of 20 calls whose latency is lognormal times a
    # Pareto(2) tail (infinite variance), in log1p as the monitor reads it
    rng = np.random.default_rng(7)

    def month():
        calls = np.exp(rng.normal(4.0, 0.5, (MONTH, 20))) * (1 + rng.pareto(2.0, (MONTH, 20)))
        return np.log1p(np.partition(calls, 18, axis=1)[:, 18])

    assert _false_alarms(NUMBER, (month() for _ in range(STREAMS))) <= 12


@pytest.mark.parametrize(("calls", "rate"), [(3, 0.01), (1, 0.05), (200, 0.3)])
def test_rates_at_low_and_high_counts(calls, rate):
    # three calls a minute and one error in a hundred: an error is a z score of 5.7 on
    # the binomial's normal approximation, and still no page, because each minute adds
    # its exact binomial likelihood ratio
    rng = np.random.default_rng(calls)

    def month():
        n = rng.poisson(calls, MONTH)
        return np.column_stack([rng.binomial(n, rate), n]).astype(float)

    assert _false_alarms(RATE, (month() for _ in range(STREAMS))) <= 12


def test_a_rate_change_at_three_calls_a_minute_is_found_within_minutes():
    rng = np.random.default_rng(5)
    n = np.full(600, 3.0)
    k = rng.binomial(3, np.where(np.arange(600) < 300, 0.01, 0.3)).astype(float)
    onsets = [a for a in detector_for(RATE).run(np.column_stack([k, n])) if a.onset]
    assert [(a.index, a.direction) for a in onsets] == [(313, 1)]  # 13 minutes: 39 calls, about 12 errors


def test_steps_in_a_minute_signal_are_found_within_minutes():
    rng = np.random.default_rng(9)
    delays = {}
    for shift in (1.0, 2.0, 4.0):
        found = []
        for _ in range(20):
            x = rng.standard_normal(400)
            x[200:] += shift
            onsets = [a.index for a in detector_for(NUMBER).run(x) if a.onset and a.index >= 200]
            found.append(onsets[0] - 200 + 1)
        delays[shift] = float(np.median(found))
    assert delays == {1.0: 25.0, 2.0: 8.0, 4.0: 4.0}  # minutes, median of 20
