"""Vector drift: mean-embedding distance (checked against NumPy), norms and a real classifier."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.drift.vector import MEAN_CRITICAL, mean_distance, mean_shift, vector_drift
from telltale.profile.vectors import VectorSummary


def _gauss(n: int, dim: int, seed: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)) + shift


def test_a_shifted_embedding_is_critical_on_the_mean_and_the_classifier():
    ref, cur = _gauss(1500, 32, 1), _gauss(1500, 32, 2, shift=0.3)  # 0.3 sd per dimension
    d = vector_drift("emb", ref, cur, 32)
    assert d.mean.severity == "critical" and d.mean.value == pytest.approx(0.3, abs=0.03)  # |shift| / sqrt(trace) = 0.3
    assert d.mean.p_value == pytest.approx(1 / 201)  # no permutation reaches the observed distance
    assert d.classifier is not None and d.classifier.severity == "critical"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_samples_of_the_same_embeddings_raise_nothing(seed):
    d = vector_drift("emb", _gauss(1000, 16, seed), _gauss(1000, 16, seed + 10), 16, seed=seed)
    assert [(r.feature, r.severity) for r in d.results if r.severity] == []


def test_mean_distance_matches_numpy():
    ref, cur = _gauss(400, 8, 3), _gauss(300, 8, 4, shift=0.5)
    sr, sc = VectorSummary(8), VectorSummary(8)
    sr.update(ref[:150])
    sr = sr.merge(_summary(ref[150:]))  # summaries of two batches merge into the whole
    sc.update(cur)
    tr_r, tr_c = np.trace(np.cov(ref.T)), np.trace(np.cov(cur.T))
    assert sr.total_variance == pytest.approx(tr_r) and np.allclose(sr.mean, ref.mean(axis=0))
    pooled = (399 * tr_r + 299 * tr_c) / 698
    delta = cur.mean(axis=0) - ref.mean(axis=0)
    expected = np.sqrt((delta @ delta - pooled * (1 / 400 + 1 / 300)) / tr_r)
    d, ratio = mean_distance(sr, sc)
    assert d == pytest.approx(expected) and ratio == pytest.approx(delta @ delta / (pooled * (1 / 400 + 1 / 300)))
    r = mean_shift("emb", sr, sc)
    assert r.severity == "critical" and r.threshold == MEAN_CRITICAL and r.feature == "emb:mean"


def test_zero_filled_embeddings_drift_on_their_norms():
    ref = _gauss(800, 16, 5)
    cur = _gauss(800, 16, 6)
    cur[:, 8:] = 0.0  # half the dimensions lost upstream
    d = vector_drift("emb", ref, cur, 16)
    assert d.norm.severity == "critical" and d.norm.feature == "emb:norm"


def _summary(x: np.ndarray) -> VectorSummary:
    s = VectorSummary(x.shape[1])
    s.update(x)
    return s
