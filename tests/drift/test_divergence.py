import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from telltale.drift.divergence import jensen_shannon


@pytest.mark.parametrize("seed", range(5))
def test_matches_scipy_base2(seed):
    rng = np.random.default_rng(seed)
    p = rng.integers(0, 50, 8).astype(float)
    q = rng.integers(0, 50, 8).astype(float)
    p[0] += 1
    q[1] += 1
    assert jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-10)


def test_disjoint_is_one_and_identical_is_zero():
    assert jensen_shannon([5, 0, 0], [0, 3, 4]) == pytest.approx(1.0)
    assert jensen_shannon([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0, abs=1e-12)


def test_empty_side_is_nan():
    assert math.isnan(jensen_shannon([0, 0], [1, 1]))
