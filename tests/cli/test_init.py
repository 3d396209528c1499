"""``telltale init``: writes a spec that loads, whose only readiness problems are the
blanks a person must fill, and a reference profile beside it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.profile import PREDICTION, TARGET, Profile
from telltale.spec import check_spec, load_spec


@pytest.fixture
def train(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    t = pa.table({
        "prep_time_s": rng.gamma(4, 150, n), "distance_km": rng.gamma(3, 1.5, n),
        "city": np.array(["Lyon", "Paris", "Nantes"])[rng.integers(0, 3, n)],
        "is_late": rng.random(n) < 0.2, "score": rng.random(n),
    })
    path = tmp_path / "train.parquet"
    pq.write_table(t, path)
    return path


def test_init_writes_a_loadable_spec_whose_only_problems_are_the_blanks(train, tmp_path):
    out = tmp_path / "telltale.yaml"
    r = CliRunner().invoke(app, ["init", "--reference", str(train), "--target", "is_late", "--prediction", "score", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "7 decisions are left blank" in r.output
    spec = load_spec(out)
    assert set(spec.inputs) == {"prep_time_s", "distance_km", "city"}
    assert spec.inputs["prep_time_s"].unit == "s" and set(spec.inputs["city"].categories) == {"Lyon", "Paris", "Nantes"}
    assert (spec.target, spec.prediction, spec.reference) == ("is_late", "score", "telltale.reference.profile")
    problems = check_spec(out)
    assert sorted(p.key for p in problems) == sorted(["owner", "owners.data", "owners.model", "owners.platform", "slos", "rules", "fallback"])
    assert all(p.line for p in problems)  # every blank is located by line
    profile = Profile.from_bytes((tmp_path / spec.reference).read_bytes())
    assert profile.n == 3000
    assert {"prep_time_s", "distance_km", "city", PREDICTION, TARGET} <= set(profile.fields)
    assert "# seen" in out.read_text()  # fields carry a comment saying what was seen


def test_filling_the_blanks_makes_it_ready(train, tmp_path):
    out = tmp_path / "telltale.yaml"
    CliRunner().invoke(app, ["init", "--reference", str(train), "--out", str(out)])
    text = out.read_text().replace("FILL_ME", "team@example.com")
    text = text.replace("fallback: []", "fallback: [abstain]")
    text = text.replace("slos: []", "slos: [{name: latency, metric: latency_p99_ms, max: 150}]")
    text = text.replace("rules: []", "rules: [{name: unit, when: {kind: unit}, action: fallback}]")
    text += "alerting: {receivers: {oncall: {webhook: {url: 'https://hooks.example.com/t'}}}, routes: {data: [oncall], platform: [oncall]}}\n"
    out.write_text(text)
    assert check_spec(out) == []


@pytest.mark.parametrize(("args", "reason"), [
    (["--reference", "missing.parquet"], "missing.parquet: file not found"),
    (["--reference", "{bad}"], "cannot be read as Parquet"),
    (["--reference", "{train}", "--target", "nope"], "--target column 'nope' is not in the data"),
    (["--reference", "{train}", "--out", "{exists}"], "already exists; pass --force"),
])
def test_usage_errors_exit_2_with_one_line(train, tmp_path, args, reason):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"garbage")
    exists = tmp_path / "there.yaml"
    exists.write_text("x")
    args = [a.format(bad=bad, train=train, exists=exists) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "t.yaml")]
    r = subprocess.run([sys.executable, "-m", "telltale.cli.main", "init", *args], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    assert reason in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "t.yaml").exists()


def test_awkward_names_and_categories_survive_the_yaml(tmp_path):
    cats = ["New York", "true", "123", "a: b", "é", "null", "x#y"]
    n = 700
    t = pa.table({
        "order value (eur)": np.linspace(1, 100, n),
        "place": [cats[i % len(cats)] for i in range(n)],
        "yes": np.arange(n) % 3,
    })
    pq.write_table(t, tmp_path / "d.parquet")
    out = tmp_path / "s.yaml"
    r = CliRunner().invoke(app, ["init", "--reference", str(tmp_path / "d.parquet"), "--out", str(out), "--service", "odd-one"])
    assert r.exit_code == 0, r.output
    spec = load_spec(out)
    assert spec.service == "odd-one"
    assert set(spec.inputs) == {"order value (eur)", "place", "yes"}
    assert sorted(spec.inputs["place"].categories) == sorted(cats)


def _car_loan_like(n: int, seed: int) -> pa.Table:
    """Like NannyML's car-loan set: a running integer id, a string key, and real features."""
    rng = np.random.default_rng(seed)
    start = seed * n
    return pa.table({
        "id": np.arange(start, start + n),
        "application_ref": [f"A{i:09d}" for i in range(start, start + n)],
        "car_value": rng.gamma(5, 8000, n),
        "loan_length": rng.integers(12, 72, n),
        "salary_range": np.array(["0 - 20K", "20K - 40K", "40K - 60K", "60K+"])[rng.integers(0, 4, n)],
        "repaid": rng.random(n) < 0.7,
    })


def test_identifier_columns_are_recognised_and_left_out_of_range_drift_and_the_classifier(tmp_path):
    pq.write_table(_car_loan_like(5000, 0), tmp_path / "ref.parquet")
    pq.write_table(_car_loan_like(5000, 1), tmp_path / "cur.parquet")  # the same population, later ids
    out = tmp_path / "telltale.yaml"
    r = CliRunner().invoke(app, ["init", "--reference", str(tmp_path / "ref.parquet"), "--target", "repaid", "--out", str(out)])
    assert r.exit_code == 0, r.output
    spec = load_spec(out)
    for key in ("id", "application_ref"):
        f = spec.inputs[key]
        assert (f.identifier, f.required, f.range, f.categories) == (True, False, None, None)
    car = pq.read_table(tmp_path / "ref.parquet").column("car_value").to_numpy()
    rng = spec.inputs["car_value"].range
    assert spec.inputs["car_value"].identifier is False and rng.min <= car.min() and rng.max >= car.max()
    assert spec.inputs["loan_length"].identifier is False  # integers that repeat are features
    text = out.read_text()
    assert "# a different value in each of 5000 rows, increasing: an identifier, left out of range, drift" in text
    report = tmp_path / "report.json"
    r = CliRunner().invoke(app, ["report", "--reference", str(tmp_path / "ref.parquet"), "--current", str(tmp_path / "cur.parquet"),
                                 "--spec", str(out), "--json", str(report)])
    import json

    doc = json.loads(report.read_text())
    assert r.exit_code == 0, r.output
    assert not [f for f in doc["findings"] if f["feature"] in ("id", "application_ref")]
    assert doc["summary"]["critical"] == 0
    assert doc["summary"]["multivariate_auc"] < 0.6  # no perfect separator handed to the classifier


def test_a_key_named_integer_column_is_an_identifier_even_shuffled(tmp_path):
    from telltale.infer import infer

    rng = np.random.default_rng(3)
    t = pa.table({"customer_id": rng.permutation(500), "visits": rng.permutation(500), "x": rng.random(500)})
    inf = {f.name: f for f in infer(t).inputs}
    assert inf["customer_id"].identifier and not inf["visits"].identifier and not inf["x"].identifier


@pytest.mark.parametrize("rows", [1, 19])
def test_a_reference_with_too_few_rows_is_refused(tmp_path, rows):
    pq.write_table(pa.table({"x": np.arange(rows, dtype=float)}), tmp_path / "tiny.parquet")
    out = tmp_path / "t.yaml"
    r = CliRunner().invoke(app, ["init", "--reference", str(tmp_path / "tiny.parquet"), "--out", str(out)])
    assert r.exit_code == 2
    assert f"has only {rows} row" in r.output and "at least 20" in r.output
    assert not out.exists()
