"""Drift on profiles (the server's path) agrees with drift on raw columns (the report's)."""

import numpy as np
import pytest

from telltale.drift import column_dist, compare, drift_findings, drift_results
from telltale.drift.profiles import column_profile_dist
from telltale.profile import Profile
from telltale.spec import spec_from_dict
from telltale.types import Window

SPEC = spec_from_dict({
    "service": "svc", "owner": "me@example.com",
    "inputs": {
        "amount": {"type": "float"},
        "age": {"type": "float", "nullable": True},
        "city": {"type": "category", "categories": ["a", "b", "c"]},
        "steady": {"type": "float"},
    },
    "output": {"type": "float"},
    "prediction": "score",
})


#: Absolute tolerance on a sketch-based W1 (sds): the rank error 0.0165 over a normal's peak
#: density 0.4, for each of two sketches.
_W_TOL = 2 * 0.0165 / 0.4


def _data(n, seed, *, shift=0.0, nulls=0.0, mix=(0.5, 0.3, 0.2), score_shift=0.0):
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    age[rng.random(n) < nulls] = np.nan
    return {
        "amount": rng.lognormal(3 + shift, 0.5, n),
        "age": age,
        "city": np.asarray(rng.choice(["a", "b", "c"], n, p=list(mix)), dtype=object),
        "steady": rng.normal(0, 1, n),
        "score": rng.normal(score_shift, 1, n),
    }


def test_clean_control_has_no_finding():
    ref, cur = Profile.from_columns(SPEC, _data(20_000, 1)), Profile.from_columns(SPEC, _data(20_000, 2))
    results = drift_results(SPEC, cur, ref)
    assert {r.feature for r in results} == {"amount", "age", "city", "steady", "score"}
    assert drift_findings(SPEC, cur, ref, None) == []


def test_faults_found_on_their_fields():
    window = Window.from_epoch(0, 60)
    ref = Profile.from_columns(SPEC, _data(20_000, 1))
    cur = Profile.from_columns(SPEC, _data(20_000, 3, shift=0.5, nulls=0.2, mix=(0.2, 0.3, 0.5), score_shift=1.0))
    found = {(f.kind, f.feature): f for f in drift_findings(SPEC, cur, ref, window)}
    assert set(found) == {("drift", "amount"), ("drift", "age"), ("drift", "city"), ("prediction_drift", "score")}
    assert all(f.severity == "critical" and f.window == window for f in found.values())
    assert found[("drift", "age")].statistic == "null_share_delta"
    assert found[("drift", "city")].statistic == "jensen_shannon"


@pytest.mark.parametrize("field,numeric", [("amount", True), ("steady", True), ("city", False)])
def test_sketch_statistic_close_to_exact(field, numeric):
    a, b = _data(30_000, 4), _data(30_000, 5, shift=0.2, mix=(0.4, 0.3, 0.3))
    pa_, pb = Profile.from_columns(SPEC, a), Profile.from_columns(SPEC, b)
    exact = compare(field, column_dist(a[field], numeric), column_dist(b[field], numeric))
    sketch = compare(field, column_profile_dist(pa_.fields[field], numeric), column_profile_dist(pb.fields[field], numeric))
    assert sketch.statistic == exact.statistic
    # KLL (k=200, randomised compaction) keeps ranks within ~1.65%: near a normal's centre
    # that is 0.04 sd of value, so W1 in sds is good to a few hundredths plus a few percent
    assert sketch.value == pytest.approx(exact.value, rel=0.12 if numeric else 1e-9, abs=_W_TOL if numeric else 1e-9)
    assert sketch.severity == exact.severity


def test_merge_of_profiles_gives_the_drift_of_the_whole():
    whole = _data(20_000, 6, shift=0.3)
    halves = [{k: v[:10_000] for k, v in whole.items()}, {k: v[10_000:] for k, v in whole.items()}]
    ref = Profile.from_columns(SPEC, _data(20_000, 7))
    merged = Profile.from_columns(SPEC, halves[0]).merge(Profile.from_columns(SPEC, halves[1]))
    direct = Profile.from_columns(SPEC, whole)
    by_merged = {r.feature: r for r in drift_results(SPEC, merged, ref)}
    by_direct = {r.feature: r for r in drift_results(SPEC, direct, ref)}
    for name, r in by_direct.items():
        assert by_merged[name].severity == r.severity
        assert by_merged[name].value == pytest.approx(r.value, rel=0.12, abs=_W_TOL)  # two sketches, each within its error


def test_no_reference_no_findings():
    cur = Profile.from_columns(SPEC, _data(100, 1))
    assert drift_findings(SPEC, cur, None, None) == []


def test_retyped_field_is_left_to_the_type_check():
    ref = Profile.from_columns(SPEC, _data(2000, 1))
    cur_data = _data(2000, 2)
    cur_data["steady"] = np.asarray([f"{v:.3f}" for v in cur_data["steady"]], dtype=object)
    cur = Profile.from_columns(SPEC, cur_data)
    assert "steady" not in {r.feature for r in drift_results(SPEC, cur, ref)}


def test_small_window_sketch_gives_the_exact_values_and_p_value():
    from scipy.stats import ks_2samp

    a, b = np.arange(10.0), np.arange(100.0, 110.0)
    ra = column_profile_dist(Profile.from_columns(None, {"x": a}).fields["x"], True)
    rb = column_profile_dist(Profile.from_columns(None, {"x": b}).fields["x"], True)
    assert np.array_equal(ra.sorted_values, a)  # a KLL sketch that never compacted holds every value
    r = compare("x", ra, rb)
    assert r.method == "ks" and r.value == 1.0
    assert r.p_value == pytest.approx(ks_2samp(a, b).pvalue)
    assert r.severity == "critical"
