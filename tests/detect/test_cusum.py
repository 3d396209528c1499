"""Cusum and RateCusum: exact detection indices on hand-made streams, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telltale.detect import Cusum, RateCusum
from telltale.detect.calibrate import gaussian_threshold, llr_threshold


def test_a_step_after_a_hand_made_reference_fires_where_the_arithmetic_says():
    # Reference: -1, 1 ten times. Median 0, MAD 1, so sd 1.4826; the clipped values are
    # +-0.6745 with mean 0 and sd 0.6745, raised by 1/sqrt(40) for its standard error.
    # A value of 10 clips at 3 robust sd: z = 3 / (0.6745 * 1.1581) = 3.840. Each chart
    # tuned for d sd adds d * (z - d/2 - 1.2533/sqrt(20)) a value and fires past
    # d * h(d/2, 6 * arl0): the 4 sd chart needs 2 values (6.24 a value, threshold 6.51).
    x = [-1.0, 1.0] * 10 + [10.0] * 10
    z = 3 / (1 / 1.4826 * (1 + 1 / math.sqrt(40)))
    e = 1.2533 / math.sqrt(20)
    needed = {d: math.floor(d * gaussian_threshold(d / 2, 6000.0) / (d * (z - d / 2 - e))) + 1 for d in (1.0, 2.0, 4.0)}
    assert needed == {1.0: 3, 2.0: 2, 4.0: 2}
    d = Cusum(arl0=1000, reference=20, refresh=None)
    [alarm] = d.run(x)
    assert (alarm.index, alarm.start, alarm.direction, alarm.onset, alarm.shift) == (21, 20, 1, True, 4.0)
    assert (alarm.before, alarm.after) == (0.0, 10.0)
    assert alarm.threshold == pytest.approx(4 * gaussian_threshold(2.0, 6000.0))
    assert alarm.statistic == pytest.approx(2 * 4 * (z - 2 - e), rel=1e-3)


def test_a_rate_step_fires_where_the_binomial_likelihood_ratio_says():
    # Reference: 1 error in 100 calls for 60 minutes: 0.01, held at one standard error
    # above (0.0112845) for rises. Then 5 in 100: the chart for odds x3 gains 3.26 a
    # minute and fires past log(6 * 1000) = 8.70, at the third minute.
    up = 0.01 + math.sqrt(0.01 * 0.99 / 6000)
    o = up / (1 - up) * 3
    p1 = o / (1 + o)
    gain = 5 * math.log(p1 / up) + 95 * math.log((1 - p1) / (1 - up))
    assert gain == pytest.approx(3.2612, abs=1e-4)
    assert math.floor(llr_threshold(6000.0) / gain) + 1 == 3
    r = RateCusum(arl0=1000, reference=60, refresh=None)
    [alarm] = r.run([(1, 100)] * 60 + [(5, 100)] * 10)
    assert (alarm.index, alarm.start, alarm.direction, alarm.shift) == (62, 60, 1, 3.0)
    assert (alarm.before, alarm.after) == (0.01, 0.05)
    assert alarm.statistic == pytest.approx(3 * gain)


def test_a_fault_that_ends_gives_an_onset_then_a_return_at_pinned_indices():
    x = np.random.default_rng(3).standard_normal(600)
    x[300:400] += 3.0
    alarms = Cusum(reference=200).run(x)
    assert [(a.index, a.start, a.direction, a.onset) for a in alarms] == [(305, 300, 1, True), (404, 400, -1, False)]
    assert alarms[1].before == alarms[0].after


def test_the_change_start_is_estimated_when_detection_is_slow():
    x = np.random.default_rng(4).standard_normal(3000)
    x[1000:] += 1.0
    [alarm] = Cusum(reference=500, refresh=None).run(x)
    assert alarm.index == 1019  # 19 values; the 1 sd chart alone expects 24 (integral equation, from zero)
    assert alarm.start == 1005  # the CUSUM's estimate: the value after the chart last sat at zero
    assert alarm.after == pytest.approx(1.48, abs=0.01)  # the excursion's median, selected for being high


def test_a_guard_that_goes_silent_is_a_fall():
    stream = [(5, 100)] * 120 + [(0, 100)] * 60
    [alarm] = RateCusum().run(stream)
    assert (alarm.index, alarm.start, alarm.direction, alarm.after) == (122, 120, -1, 0.0)


def test_a_rate_that_was_zero_cannot_fall():
    # a month of error-free minutes: the floored baseline must not make "fewer errors" look likely
    assert RateCusum().run([(0, 50)] * 43_200) == []


def test_batch_and_one_by_one_give_the_same_alarms():
    rng = np.random.default_rng(11)
    x = rng.standard_normal(5000)
    x[rng.random(5000) < 0.05] = np.nan
    x[1500:2500] += 1.5
    x[3500:] -= 2.0
    batch = Cusum().run(x)
    single = Cusum()
    for v in x:
        single.update(v)
    assert len(batch) >= 3
    assert [(a.index, a.start, a.direction, a.onset) for a in single.alarms] == [(a.index, a.start, a.direction, a.onset) for a in batch]
    n = rng.integers(0, 40, 5000)
    k = rng.binomial(n, np.where(np.arange(5000) % 2000 > 1500, 0.2, 0.05))
    pairs = np.column_stack([k, n])
    batch_r = RateCusum().run(pairs)
    single_r = RateCusum()
    for pair in pairs:
        single_r.update(tuple(pair))
    assert len(batch_r) >= 2
    assert [(a.index, a.start) for a in single_r.alarms] == [(a.index, a.start) for a in batch_r]


def test_bad_values_and_parameters_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"value 1: count 5 of total 3; a count must be between 0 and its total"):
        RateCusum().run([(1, 3), (5, 3)])
    with pytest.raises(ValueError, match=r"shifts must be positive numbers of sd, got \(0.0, 1.0\)"):
        Cusum(shifts=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"clip must exceed half the largest shift \(4 sd\), got 3"):
        Cusum(shifts=(8.0,), clip=3)
    with pytest.raises(ValueError, match=r"ratios must be odds ratios greater than 1, got \(1.0,\)"):
        RateCusum(ratios=(1.0,))
    with pytest.raises(ValueError, match=r"reference must be an integer of at least 2 values, got 1"):
        Cusum(reference=1)
    with pytest.raises(ValueError, match=r"arl0 must be greater than 1 \(values between false alarms\), got 0"):
        RateCusum(arl0=0)
