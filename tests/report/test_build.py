"""The report's computation: findings, the table of every check, the summary."""

import pytest

from telltale.report import ReportUsageError, build_report, infer_spec, load_inputs
from telltale.spec import parse_spec

from ._data import SPEC_YAML, table


def test_clean_control_at_20k_rows_has_nothing_critical():
    spec = parse_spec(SPEC_YAML)
    rep = build_report(table(20_000, 1), table(20_000, 2), spec)
    assert not rep.critical and rep.exit_code == 0
    assert [f for f in rep.findings if f.kind in ("drift", "prediction_drift", "multivariate_drift")] == []
    drift_rows = {c.feature: c for c in rep.checks if c.check in ("drift", "prediction_drift")}
    assert set(drift_rows) == {"amount", "wait_s", "age", "steady", "city", "score"}
    assert all(c.status == "passed" for c in drift_rows.values())
    assert any(c.check == "multivariate_drift" and c.status == "passed" for c in rep.checks)


def test_faults_are_found_on_their_fields():
    spec = parse_spec(SPEC_YAML)
    rep = build_report(table(5_000, 1), table(5_000, 2, faulty=True), spec)
    crit = {(f.kind, f.feature) for f in rep.findings if f.severity == "critical"}
    assert {("drift", "amount"), ("drift", "city"), ("prediction_drift", "score")} <= crit
    assert ("nulls", "age") in crit or ("drift", "age") in crit
    assert not any(f.feature in ("steady", "wait_s") for f in rep.findings if f.kind == "drift")
    assert rep.exit_code == 1
    s = rep.summary()
    assert s["critical"] == sum(f.severity == "critical" for f in rep.findings)
    assert s["findings"] == len(rep.findings)
    assert set(s["features_flagged"]) >= {"amount", "city", "score"}
    assert rep.findings[0].severity == "critical"  # critical first
    statuses = {c.status for c in rep.checks}
    assert "critical" in statuses and "passed" in statuses


def test_inferred_spec_from_reference():
    spec = infer_spec(table(500, 1))
    assert set(spec.inputs) == {"amount", "wait_s", "age", "steady", "city", "score"}
    assert spec.inputs["city"].type == "category"


def test_spec_column_in_neither_set_is_a_usage_error(tmp_path):
    import pyarrow.parquet as pq

    for name in ("r", "c"):
        pq.write_table(table(100, 1).drop(["amount"]), tmp_path / f"{name}.parquet")
    spec = tmp_path / "telltale.yaml"
    spec.write_text(SPEC_YAML)
    with pytest.raises(ReportUsageError, match="'amount' named in the spec is in neither data set"):
        load_inputs(tmp_path / "r.parquet", tmp_path / "c.parquet", spec)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(ReportUsageError, match="not found"):
        load_inputs(tmp_path / "nope.parquet", tmp_path / "nope.csv", None)
