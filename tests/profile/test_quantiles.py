"""Deterministic query-time merges (issue 7, item 5): MergedQuantiles reads exactly like
the KLL sketch it came from, keeps the parts' stated error, and gives the same bytes
in every process, where DataSketches' own KLL merge does not."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from telltale.profile import Profile
from telltale.profile.numeric import NumericSummary
from telltale.profile.quantiles import KEEP, MAX_ITEMS, MergedQuantiles
from telltale.spec import parse_spec
from telltale.types import PredictionRecord

RANKS = np.linspace(0, 1, 1001).tolist()


def _kll(values: np.ndarray) -> kll_doubles_sketch:
    s = kll_doubles_sketch(200)
    s.update(np.ascontiguousarray(values, dtype=np.float64))
    return s


@pytest.mark.parametrize("n", [1, 10, 199, 5000, 100_000])
def test_one_sketch_reads_exactly_as_the_binding_does(n):
    rng = np.random.default_rng(n)
    s = _kll(np.round(rng.normal(size=n), 2))  # rounded: ties exercise the rank conventions
    m = MergedQuantiles.combine([s, kll_doubles_sketch(200)])  # an empty part changes nothing
    points = sorted(set(np.round(rng.normal(size=200), 2).tolist()))
    assert m.n == s.n and m.is_estimation_mode() == s.is_estimation_mode()
    assert m.get_quantiles(RANKS) == s.get_quantiles(RANKS)
    assert m.get_quantiles(RANKS, True) == s.get_quantiles(RANKS, True)
    assert m.get_cdf(points, True) == s.get_cdf(points, True)
    assert m.get_cdf(points) == s.get_cdf(points)
    assert m.normalized_rank_error() == (s.normalized_rank_error(False) if s.is_estimation_mode() else 0.0)


def test_three_days_of_minute_sketches_stay_within_the_stated_error():
    rng = np.random.default_rng(1)
    chunks = [rng.lognormal(3.0, 1.0, size=300) for _ in range(4320)]
    m = MergedQuantiles.combine([_kll(c) for c in chunks])
    truth = np.sort(np.concatenate(chunks))
    qs = np.linspace(0.01, 0.99, 99)
    ranks = np.searchsorted(truth, np.asarray(m.get_quantiles(qs)), side="right") / len(truth)
    # the parts each state KLL's 1.33% (k=200); the deterministic compactions add at most 1/(2*KEEP) per level
    assert m.n == len(truth) and len(m.items) <= MAX_ITEMS
    assert m.error == pytest.approx(0.013294757464848584 + 2 * (1 / (2 * KEEP)), abs=1e-4)
    assert np.max(np.abs(ranks - qs)) <= m.error


def test_compaction_is_deterministic_and_bounded():
    values = np.arange(200_000, dtype=np.float64)
    exact = [MergedQuantiles(values[i:i + 1000], np.ones(1000, dtype=np.int64), 0.0) for i in range(0, 200_000, 1000)]
    a, b = MergedQuantiles.combine(exact), MergedQuantiles.combine(exact)
    assert a.items.tobytes() == b.items.tobytes() and a.weights.tobytes() == b.weights.tobytes()
    assert a.n == 200_000 and len(a.items) <= MAX_ITEMS
    est = np.asarray(a.get_cdf(np.linspace(0, 200_000, 501))[:-1])
    true = np.minimum(np.floor(np.linspace(0, 200_000, 501)) + 1, 200_000) / 200_000
    assert np.max(np.abs(est - true)) <= a.error


def test_a_heavy_value_survives_compaction_with_its_weight():
    items = np.concatenate([np.full(1, 5.0), np.arange(40_000, dtype=np.float64) + 10])
    weights = np.concatenate([[60_000], np.ones(40_000, dtype=np.int64)])
    m = MergedQuantiles.combine([MergedQuantiles(items, weights, 0.0), MergedQuantiles(np.array([1.0]), np.array([1]), 0.0)])
    assert m.get_cdf([5.0], True)[0] == pytest.approx(60_001 / 100_001, abs=m.error)
    assert m.get_quantile(0.5) == 5.0


def _profile(values: np.ndarray, i: int) -> Profile:
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")
    return Profile.from_records(spec, [PredictionRecord(f"{i}-{j}", "s", 0.0, {"x": float(v)}, latency_ms=float(v))
                                       for j, v in enumerate(values)])


def test_merge_all_is_deterministic_and_round_trips_through_bytes():
    rng = np.random.default_rng(2)
    parts = [_profile(rng.normal(size=150), i) for i in range(12)]
    a, b = Profile.merge_all(parts), Profile.merge_all(parts)
    assert a.to_bytes() == b.to_bytes()
    assert a.n == 1800 and a.fields["x"].numeric.combined
    back = Profile.from_bytes(a.to_bytes())
    assert back.fields["x"].numeric.quantiles([0.1, 0.5, 0.9]).tolist() == a.fields["x"].numeric.quantiles([0.1, 0.5, 0.9]).tolist()
    assert back.to_bytes() == a.to_bytes()
    # 1800 values in parts that each held every value: the combination is exact
    truth = np.sort(np.concatenate([p.fields["x"].numeric.kll.get_quantiles(((np.arange(150) + 0.5) / 150).tolist()) for p in parts]))
    assert a.fields["x"].numeric.quantile(0.5) == truth[900]
    with pytest.raises(TypeError, match="read-only"):
        a.fields["x"].numeric.update(np.ones(3))


def test_one_part_keeps_its_own_sketch():
    s = NumericSummary()
    s.update(np.arange(10.0))
    assert NumericSummary.combine([s, NumericSummary()]).kll is s.kll


_MERGE = """
import sys
from datasketches import kll_doubles_sketch
from telltale.profile.quantiles import MergedQuantiles
blob = open(sys.argv[2], "rb").read()
parts = [kll_doubles_sketch.deserialize(blob[i:i + int(n)]) for i, n in
         zip(*[iter(int(x) for x in open(sys.argv[2] + ".idx").read().split())] * 2)]
if sys.argv[1] == "native":
    out = kll_doubles_sketch(200)
    for s in parts:
        out.merge(s)
    q = out.get_quantiles([0.5, 0.95, 0.99])
else:
    q = MergedQuantiles.combine(parts).get_quantiles([0.5, 0.95, 0.99])
print(repr(q))
"""


def test_kll_merge_differs_between_processes_and_the_combination_does_not(tmp_path):
    # the same stored sketches (bytes written once, as minute rows are) merged in fresh processes
    rng = np.random.default_rng(5)
    blobs = [bytes(_kll(rng.normal(size=1000)).serialize()) for _ in range(60)]
    path = tmp_path / "parts.bin"
    path.write_bytes(b"".join(blobs))
    offsets = np.cumsum([0] + [len(b) for b in blobs])[:-1]
    (tmp_path / "parts.bin.idx").write_text(" ".join(f"{o} {len(b)}" for o, b in zip(offsets.tolist(), blobs)))

    def run(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", _MERGE, mode, str(path)], capture_output=True, text=True, check=True).stdout

    assert len({run("native") for _ in range(3)}) > 1  # why queries never use it
    assert len({run("combined") for _ in range(3)}) == 1
