"""Folding a batch column-wise (performance/fold.py) gives what folding its pairs one by one gives."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from telltale.performance.fold import fold, score
from telltale.performance.pairs import pair_of
from telltale.performance.summary import Kind, Summary

# (output, confidence, source, prediction ts, label, label ts): a binary classifier, positive class "1"
CLASSIFIED: list[tuple[Any, Any, str | None, float, Any, float]] = [
    ("1", 0.9, "model", 0.0, "1", 60.0),  # minute 0: hit, conf bin 18, score bin 900
    ("1", 0.6, "model", 30.0, "0", 150.0),  # minute 0: miss, conf bin 12, score bin 600
    ("1", 0.7, "shadow", 40.0, "1", 50.0),  # a shadow record: not scored
    ("0", 0.8, None, 90.0, "0", 100.0),  # minute 60: hit; p_pos = 1 - 0.8 = 0.19999999999999996, score bin 199
    ("0", 0.5, None, 91.0, {"hallucination": True}, 100.0),  # flags: not a target
    ("0", 0.5, None, 92.0, None, 100.0),  # no label yet
    ("0", None, None, 95.0, 1, 95.0),  # minute 60: miss without a confidence; the label 1 is class "1"
]


def _columns(rows: list[tuple[Any, Any, str | None, float, Any, float]], kind: Kind, positive: str | None) -> Any:
    out, conf, src, ts, lab, lts = (list(c) for c in zip(*rows))
    return score(kind, positive, out, conf, src, ts, lab, lts)


def _one_by_one(rows: list[tuple[Any, Any, str | None, float, Any, float]], kind: Kind, positive: str | None) -> dict[int, Summary]:
    out: dict[int, Summary] = {}
    for o, c, s, ts, lab, lts in rows:
        pair = pair_of(o, c, s, ts, lab, lts, kind, positive)
        if pair is not None:
            out.setdefault(int(math.floor(ts / 60.0)) * 60, Summary()).add_pair(pair)
    return out


def test_a_classified_batch_folds_to_the_hand_worked_minutes() -> None:
    cols = _columns(CLASSIFIED, "classification", "1")
    assert cols.rows == [0, 1, 3, 6]
    got = fold(cols)
    assert sorted(got) == [0, 60]
    m0, m1 = got[0], got[60]
    assert (m0.n, m0.delay_sum, m0.delay_max) == (2, 180.0, 120.0)
    assert m0.confusion == {"1\t1": 1, "0\t1": 1}
    assert [(b, m0.conf_n[b], m0.conf_hit[b]) for b in range(20) if m0.conf_n[b]] == [(12, 1, 0), (18, 1, 1)]
    assert (m0.conf_sum[12], m0.conf_sum[18]) == (0.6, 0.9)
    assert (m0.pos_hist.nonzero()[0].tolist(), m0.neg_hist.nonzero()[0].tolist()) == ([900], [600])
    assert m0.n_scored == 2
    assert m0.ll_sum == pytest.approx(-math.log(0.9) - math.log(0.4), rel=1e-12)  # 1.0216512475319814
    assert m0.brier_sum == pytest.approx(0.01 + 0.36, rel=1e-12)
    assert (m1.n, m1.delay_sum, m1.delay_max) == (2, 10.0, 10.0)
    assert m1.confusion == {"0\t0": 1, "1\t0": 1}
    assert [b for b in range(20) if m1.conf_n[b]] == [16] and m1.conf_hit[16] == 1
    assert (m1.pos_hist.sum(), m1.neg_hist.nonzero()[0].tolist()) == (0, [199])
    assert m1.n_scored == 1
    assert m1.ll_sum == pytest.approx(-math.log(0.8), rel=1e-12)
    assert m1.brier_sum == pytest.approx(0.04, rel=1e-12)
    one = _one_by_one(CLASSIFIED, "classification", "1")
    assert {m: s.to_bytes() for m, s in got.items()} == {m: s.to_bytes() for m, s in one.items()}


def test_a_regression_batch_folds_to_the_hand_worked_sums() -> None:
    rows: list[tuple[Any, Any, str | None, float, Any, float]] = [
        (2.5, None, None, 0.0, 3.0, 0.0), ("5", None, None, 10.0, 4, 20.0), (1.0, None, None, 20.0, "x", 30.0)]
    got = fold(_columns(rows, "regression", None))
    (s,) = got.values()
    assert (s.n, s.n_reg, s.delay_sum, s.confusion) == (2, 2, 10.0, {})
    assert (s.ae_sum, s.se_sum, s.se_sq) == (1.5, 1.25, 1.0625)
    assert s.ape_sum == pytest.approx(0.5 / 3 + 0.25, rel=1e-12)
    assert s.ape_sq == pytest.approx((0.5 / 3) ** 2 + 0.0625, rel=1e-12)
    assert s.to_bytes() == _one_by_one(rows, "regression", None)[0].to_bytes()


@pytest.mark.parametrize(("kind", "classes", "positive"), [
    ("classification", ["no", "yes"], "yes"), ("classification", ["a", "b", "c"], None), ("regression", [], None)])
def test_a_random_batch_folds_exactly_as_one_pair_at_a_time(kind: Kind, classes: list[str], positive: str | None) -> None:
    rng = random.Random(7)
    rows: list[tuple[Any, Any, str | None, float, Any, float]] = []
    for _ in range(3000):
        ts = rng.uniform(0, 3600)
        conf = rng.choice([rng.random(), rng.random(), None, 1.0, 0.0, 1.5])
        if kind == "regression":
            out, lab = rng.gauss(10, 3), rng.choice([rng.gauss(10, 3), 0.0, None])
        else:
            out, lab = rng.choice(classes), rng.choice([*classes, None])
        rows.append((out, conf, rng.choice([None, "model", "shadow"]), ts, lab, ts + rng.expovariate(1 / 600)))
    got, one = fold(_columns(rows, kind, positive)), _one_by_one(rows, kind, positive)
    assert sorted(got) == sorted(one) and len(got) == 60
    assert all(got[m].to_bytes() == one[m].to_bytes() for m in one)


def test_an_empty_batch_folds_to_nothing() -> None:
    assert fold(_columns([("1", 0.9, "shadow", 0.0, "1", 1.0)], "classification", "1")) == {}
