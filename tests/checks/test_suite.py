"""The one suite every check (and, through ``run_checks``, every drift detector) passes:
empty input, an all-null column, a constant column, NaN and inf, a single row, and the
merge law (checks on merged profiles say what they say on the profile of all the rows)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from telltale.checks import CHECKS, run_checks
from telltale.profile import Profile
from telltale.types import FINDING_KINDS, Finding, Window
from tests.checks.conftest import make_rows

WINDOW = Window.from_epoch(1_767_225_600, 1_767_225_900)


def _all_checks():
    checks = dict(CHECKS)
    checks["run_checks"] = run_checks
    try:
        from telltale.drift import drift_findings
    except ImportError:
        pass
    else:
        checks["drift"] = drift_findings
    return checks


CHECK_NAMES = sorted(_all_checks())


def _empty(spec):
    return Profile.from_columns(spec, {k: v[:0] for k, v in make_rows(10, 0).items()})


def _all_null(spec):
    d = make_rows(2000, 5)
    d["distance_km"] = np.full(2000, np.nan)
    return Profile.from_columns(spec, d)


def _constant(spec):
    d = make_rows(2000, 5)
    d["prep_time_s"] = np.full(2000, 540.0)
    d["city"] = np.full(2000, "Paris")
    return Profile.from_columns(spec, d)


def _nan_inf(spec):
    d = make_rows(2000, 5)
    d["distance_km"][:60] = np.nan
    d["distance_km"][60:90] = np.inf
    d["distance_km"][90:120] = -np.inf
    return Profile.from_columns(spec, d)


def _single_row(spec):
    return Profile.from_columns(spec, make_rows(1, 5))


CASES = {
    "empty": _empty,
    "empty-records": lambda spec: Profile.from_records(spec, []),
    "no-fields": lambda spec: Profile(),
    "all-null": _all_null,
    "constant": _constant,
    "nan-inf": _nan_inf,
    "single-row": _single_row,
}


@pytest.fixture(scope="module")
def reference(spec):
    return Profile.from_columns(spec, make_rows(5000, seed=1))


def _valid(findings):
    for f in findings:
        assert isinstance(f, Finding)
        assert f.kind in FINDING_KINDS
        json.dumps(f.to_dict(), allow_nan=False)  # findings always serialise to strict JSON
    return findings


# drift compares against a reference, so it only runs "with-reference"
_COMBOS = [(name, ref) for name in CHECK_NAMES for ref in (False, True) if ref or name != "drift"]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize(("name", "with_reference"), _COMBOS, ids=[f"{n}-{'with-reference' if r else 'spec-only'}" for n, r in _COMBOS])
def test_check_survives_edge_case(spec, reference, name, case, with_reference):
    check = _all_checks()[name]
    current = CASES[case](spec)
    findings = _valid(check(spec, current, reference if with_reference else None, WINDOW))
    if case in ("empty", "empty-records", "no-fields"):
        assert findings == []
    if case == "single-row":
        assert [f for f in findings if f.severity == "critical"] == []
    if case == "constant":
        assert not [f for f in findings if f.kind in ("unit", "range", "type") and f.feature == "prep_time_s"]
    for f in findings:
        assert f.window == WINDOW


def test_all_null_column_is_a_critical_null_finding_and_nothing_else_on_it(spec, reference):
    for ref in (None, reference):
        findings = run_checks(spec, _all_null(spec), ref, WINDOW)
        on_field = [f for f in findings if f.feature == "distance_km" and f.kind != "drift"]
        assert [(f.kind, f.severity) for f in on_field] == [("nulls", "critical")]
        assert on_field[0].value == 1.0


def test_infinities_are_type_problems_and_nan_are_nulls(spec, reference):
    findings = run_checks(spec, _nan_inf(spec), reference, WINDOW)
    by_kind = {f.kind: f for f in findings if f.feature == "distance_km"}
    assert by_kind["type"].value == pytest.approx(60 / 1940)  # 60 infinities among 1940 non-null values
    assert "infinite" in by_kind["type"].message
    assert by_kind["nulls"].value == pytest.approx(60 / 2000)


def _faulty_rows(seed):
    d = make_rows(8000, seed)
    d["prep_time_s"][4000:] *= 1000  # unit switch in the second half
    d["distance_km"][::40] = -1.0
    d["city"] = d["city"].astype(object)
    d["city"][::25] = "Rome"
    d["rain_mm"][::3] = np.nan
    return d


@pytest.mark.parametrize("name", CHECK_NAMES)
@pytest.mark.parametrize("faulty", [False, True], ids=["clean", "faulty"])
def test_merge_law(spec, reference, name, faulty):
    """A check on the merge of two halves' profiles says what it says on the whole."""
    check = _all_checks()[name]
    d = _faulty_rows(3) if faulty else make_rows(8000, 3)
    whole = Profile.from_columns(spec, d)
    halves = [Profile.from_columns(spec, {k: v[s] for k, v in d.items()}) for s in (slice(0, 4000), slice(4000, None))]
    merged = halves[0].merge(halves[1])
    a = _valid(check(spec, whole, reference, WINDOW))
    b = _valid(check(spec, merged, reference, WINDOW))
    key = lambda fs: sorted((f.kind, f.feature or "", f.severity) for f in fs)  # noqa: E731
    assert key(a) == key(b)
    if faulty and name in ("unit", "range", "category", "nulls"):
        assert any(f.kind == name for f in a)


from hypothesis import (  # noqa: E402
    given,
    settings,
    strategies as st,  # noqa: E402
)

from telltale.types import PredictionRecord  # noqa: E402

_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(["Lyon", "Rome", "bike", "", "12.5"]))
_FIELDS = ["distance_km", "prep_time_s", "items", "tenure_days", "city", "vehicle", "rain_mm", "express", "surprise"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(_FIELDS), _VALUE), max_size=30), st.booleans())
def test_any_records_give_valid_findings(spec, reference, inputs, with_reference):
    """Whatever a window holds, every check returns well-formed, strict-JSON findings."""
    recs = [PredictionRecord(id=str(i), service="shop", ts=0.0, inputs=d, output=1.0) for i, d in enumerate(inputs)]
    profile = Profile.from_records(spec, recs)
    _valid(run_checks(spec, profile, reference if with_reference else None, WINDOW))
