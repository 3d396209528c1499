"""One suite over every detector: empty input, NaN, a constant stream, reset, the protocol."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.detect import Cusum, Detector, RateCusum
from telltale.detect.findings import detector_for
from telltale.detect.signals import SIGNALS


def _numbers(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(n)
    x[n // 2:] += 3.0
    return x


def _pairs(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    calls = rng.integers(20, 60, n)
    return np.column_stack([rng.binomial(calls, np.where(np.arange(n) < n // 2, 0.02, 0.2)), calls]).astype(float)


CASES = [
    pytest.param(lambda: Cusum(), _numbers, np.nan, 1.0, id="Cusum"),
    pytest.param(lambda: Cusum(shifts=(0.1, 1.0), arl0=1e8, reference=1000, refresh=None), _numbers, np.nan, 1.0, id="Cusum-bench"),
    pytest.param(lambda: RateCusum(), _pairs, (np.nan, np.nan), (1.0, 50.0), id="RateCusum"),
    pytest.param(lambda: RateCusum(ratios=(2.0,), refresh=None), _pairs, (0.0, 0.0), (1.0, 50.0), id="RateCusum-one-ratio"),
] + [pytest.param(lambda s=s: detector_for(s), _pairs if s.rate else _numbers, (0.0, 0.0) if s.rate else np.nan,
                  (1.0, 50.0) if s.rate else 1.0, id=f"monitor-{s.name}") for s in SIGNALS[:2]]


@pytest.mark.parametrize(("make", "stream", "missing", "constant"), CASES)
class TestEveryDetector:
    def test_empty_input_raises_nothing(self, make, stream, missing, constant):
        d: Detector = make()
        assert d.run([] if not isinstance(missing, tuple) else np.empty((0, 2))) == []
        assert not d.drift_detected and d.n_seen == 0 and d.baseline is None

    def test_missing_values_never_alarm_nor_teach(self, make, stream, missing, constant):
        d = make()
        assert d.run([missing] * 3000) == []
        assert d.baseline is None and d.n_seen == 3000

    def test_missing_values_move_no_chart(self, make, stream, missing, constant):
        d = make()
        d.run(stream(1500, 1)[:1400])
        before = d._s.copy()
        d.run([missing] * 50)
        assert np.array_equal(d._s, before) and d.n_seen == 1450

    def test_a_constant_stream_never_alarms(self, make, stream, missing, constant):
        d = make()
        assert d.run([constant] * 5000) == []
        assert d.baseline is not None and d.n_seen == 5000 and not d.drift_detected

    def test_a_step_is_found_and_drift_detected_says_when(self, make, stream, missing, constant):
        x = stream(2000, 2)
        d = make()
        seen = []
        for i, v in enumerate(x):
            d.update(v)
            if d.drift_detected:
                seen.append(i)
        onsets = [a.index for a in d.alarms if a.onset]
        assert seen == [a.index for a in d.alarms] and onsets and 1000 <= onsets[0] < 1030

    def test_reset_forgets_everything(self, make, stream, missing, constant):
        x = stream(3000, 3)
        fresh = make().run(x)
        d = make()
        d.run(stream(3000, 4))
        d.reset()
        assert d.alarms == [] and d.n_seen == 0 and d.baseline is None and not d.drift_detected
        assert d.run(x) == fresh
