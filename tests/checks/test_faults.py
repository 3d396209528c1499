"""One known fault per check kind, each reported as its kind on its field; clean data
reported as nothing critical at 20,000 and 500,000 rows (issue 3, "Must show")."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.checks import run_checks
from telltale.profile import Profile
from tests.checks.conftest import CITIES, make_rows

N = 20_000


def _rename(d, rng):
    d["prep_time_sec"] = d.pop("prep_time_s")


def _retype(d, rng):
    d["items"] = np.array([str(x) for x in d["items"]], dtype=object)


def _nulls(d, rng):
    x = d["distance_km"].copy()
    x[rng.random(len(x)) < 0.2] = np.nan
    d["distance_km"] = x


def _unseen(d, rng):
    c = d["city"].astype(object)
    c[rng.random(len(c)) < 0.05] = "Rome"
    d["city"] = c


def _sentinel(d, rng):
    x = d["distance_km"].copy()
    x[rng.random(len(x)) < 0.03] = -1.0
    d["distance_km"] = x


def _x1000(d, rng):
    d["prep_time_s"] = d["prep_time_s"] * 1000


def _months(d, rng):
    d["tenure_days"] = d["tenure_days"] / 30.436875


def _duplicates(d, rng):
    n = len(d["items"])
    idx = np.arange(n)
    idx[n // 2:] = rng.integers(0, n // 2, n - n // 2)  # the second half replays rows of the first
    for k in d:
        d[k] = d[k][idx]


def _segment(d, rng):
    c = d["city"].copy()
    c[rng.random(len(c)) < 0.15] = "Nantes"  # 1% -> about 16%
    d["city"] = c


FAULTS = [
    ("schema", "prep_time_s", _rename, ["prep_time_sec", "renamed"]),
    ("type", "items", _retype, ["retyped", "strings"]),
    ("nulls", "distance_km", _nulls, ["20%"]),
    ("category", "city", _unseen, ["'Rome'"]),
    ("range", "distance_km", _sentinel, ["sentinel", "-1"]),
    ("unit", "prep_time_s", _x1000, ["milliseconds", "1000x"]),
    ("unit", "tenure_days", _months, ["months", "1/30.44x"]),
    ("duplicates", None, _duplicates, ["repeat"]),
    ("segment", "city", _segment, ["'Nantes'"]),
]


@pytest.fixture(scope="module")
def reference(spec):
    return Profile.from_columns(spec, make_rows(N, seed=1))


@pytest.mark.parametrize(("kind", "feature", "inject", "words"), FAULTS, ids=[f"{k}-{f}" for k, f, _, _ in FAULTS])
def test_fault_is_reported_as_its_kind_on_its_field(spec, reference, kind, feature, inject, words):
    data = make_rows(N, seed=2)
    inject(data, np.random.default_rng(3))
    findings = run_checks(spec, Profile.from_columns(spec, data), reference, None)
    mine = [f for f in findings if f.kind == kind and f.feature == feature]
    assert mine, f"no {kind} finding on {feature}; got {[(f.kind, f.feature) for f in findings]}"
    assert mine[0].severity == "critical"
    for w in words:
        assert w in mine[0].message, mine[0].message


@pytest.mark.parametrize(("kind", "feature", "inject", "words"), FAULTS, ids=[f"{k}-{f}" for k, f, _, _ in FAULTS])
def test_fault_names_no_innocent_field_critically(spec, reference, kind, feature, inject, words):
    """Every critical data-quality finding is about the injected fault, not a bystander."""
    data = make_rows(N, seed=2)
    inject(data, np.random.default_rng(3))
    findings = run_checks(spec, Profile.from_columns(spec, data), reference, None)
    quality = {"schema", "type", "nulls", "range", "category", "unit", "duplicates", "segment"}
    stray = [(f.kind, f.feature) for f in findings if f.kind in quality and f.severity == "critical" and f.feature not in (feature, None)]
    if kind == "schema":  # the renamed column is the other half of the same fault
        stray = [s for s in stray if s[1] != "prep_time_sec"]
    assert stray == []


@pytest.mark.parametrize("n", [20_000, 500_000])
def test_clean_data_has_no_critical_finding(spec, n):
    ref = Profile.from_columns(spec, make_rows(n, seed=11))
    cur = Profile.from_columns(spec, make_rows(n, seed=12))
    findings = run_checks(spec, cur, ref, None)
    assert [f for f in findings if f.severity == "critical"] == []


def test_clean_data_against_the_spec_alone_has_no_finding(spec):
    cur = Profile.from_columns(spec, make_rows(N, seed=12))
    assert run_checks(spec, cur, None, None) == []


def test_unseen_category_share_is_exact(spec, reference):
    data = make_rows(N, seed=2)
    c = data["city"].astype(object)
    c[:1000] = "Rome"  # exactly 5%
    data["city"] = c
    f = next(f for f in run_checks(spec, Profile.from_columns(spec, data), reference, None) if f.kind == "category")
    assert f.value == pytest.approx(1000 / N)
    assert "'Rome' 5.0%" in f.message


def test_a_few_odd_values_in_clean_data_are_only_a_warning(spec, reference):
    data = make_rows(N, seed=2)
    data["distance_km"][:5] = -1.0  # 5 of 20,000
    data["city"] = data["city"].astype(object)
    data["city"][:4] = "Rome"
    findings = run_checks(spec, Profile.from_columns(spec, data), reference, None)
    by_kind = {f.kind: f for f in findings}
    assert by_kind["range"].severity == "warning"
    assert by_kind["category"].severity == "warning"
    assert all(f.severity != "critical" for f in findings)


def test_cities_constant_matches_spec(spec):
    assert list(CITIES) == spec.inputs["city"].categories


def test_prediction_is_held_to_the_output_contract(spec, reference):
    data = make_rows(N, seed=2)
    data["eta"] = data["eta"].astype(object)
    data["eta"][: N // 2] = "n/a"  # half the predictions are strings
    data["eta"][N // 2: N // 2 + 300] = 999.0  # and some numbers beyond output.range [0, 240]
    findings = run_checks(spec, Profile.from_columns(spec, data), reference, None)
    kinds = {(f.kind, f.feature): f for f in findings}
    assert kinds[("type", "__prediction__")].severity == "critical"
    assert "the prediction looks retyped" in kinds[("type", "__prediction__")].message
    assert kinds[("range", "__prediction__")].value == pytest.approx(300 / (N - N // 2))


def test_duplicates_without_a_reference_only_warn(spec):
    data = make_rows(N, seed=2)
    _duplicates(data, np.random.default_rng(3))
    found = [f for f in run_checks(spec, Profile.from_columns(spec, data), None, None) if f.kind == "duplicates"]
    assert [(f.severity, f.feature) for f in found] == [("warning", None)]
    assert found[0].value == pytest.approx(0.5, abs=0.01)  # the second half only repeats rows of the first


def test_category_without_a_spec_set_is_checked_against_the_reference():
    from telltale.spec import parse_spec

    s = parse_spec("service: t\nowner: me\ninputs:\n  plan: {type: category}\n")
    rng = np.random.default_rng(0)
    plans = np.array(["free", "pro", "team"], dtype=object)
    ref = Profile.from_columns(s, {"plan": plans[rng.integers(0, 3, 5000)]})
    cur = plans[rng.integers(0, 3, 5000)]
    cur[:400] = "enterprise"  # 8%
    found = [f for f in run_checks(s, Profile.from_columns(s, {"plan": cur}), ref, None) if f.kind == "category"]
    assert [(f.feature, f.severity) for f in found] == [("plan", "critical")]
    assert "'enterprise' 8.0%" in found[0].message
    many = np.array([f"v{i}" for i in range(5000)], dtype=object)  # too many values for an exact reference
    wide = Profile.from_columns(s, {"plan": many})
    assert [f for f in run_checks(s, Profile.from_columns(s, {"plan": many[::-1].copy()}), wide, None) if f.kind == "category"] == []


def test_absent_nullable_field_is_not_a_schema_problem_but_absent_required_one_is(spec):
    data = make_rows(N, seed=2)
    del data["rain_mm"]  # nullable: absence is null, as in the contract
    del data["items"]
    found = [(f.kind, f.feature, f.severity) for f in run_checks(spec, Profile.from_columns(spec, data), None, None)]
    assert found == [("schema", "items", "critical")]


def test_a_rare_value_band_of_a_segment_field_growing_is_a_segment_finding():
    from telltale.spec import parse_spec

    s = parse_spec("service: t\nowner: me\ninputs:\n  basket_eur: {type: float, segment: true}\n")
    rng = np.random.default_rng(0)
    ref = Profile.from_columns(s, {"basket_eur": rng.lognormal(3, 0.4, N)})
    cur = rng.lognormal(3, 0.4, N)
    top = np.quantile(cur, 0.95)
    cur[: N // 4] = rng.uniform(top * 1.1, top * 2, N // 4)  # big baskets: 5% of rows -> about 30%
    found = [f for f in run_checks(s, Profile.from_columns(s, {"basket_eur": cur}), ref, None) if f.kind == "segment"]
    assert [(f.feature, f.severity) for f in found] == [("basket_eur", "critical")]
    assert "values above" in found[0].message and found[0].value > 5
    same = Profile.from_columns(s, {"basket_eur": rng.lognormal(3, 0.4, N)})
    assert [f for f in run_checks(s, same, ref, None) if f.kind == "segment"] == []
