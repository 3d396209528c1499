"""``telltale report --target`` on current data without labels: the confidence-based estimate.

Real scikit-learn models on generated data whose labels follow one fixed P(y | x), so
moving the inputs (covariate shift) changes accuracy while CBPE's assumption holds; the
current labels are withheld from the report and used only to check its estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from typer.testing import CliRunner

from telltale.cli.main import app

SPEC = """\
service: loans
owner: risk@example.com
inputs:
  x1: {type: float}
  x2: {type: float}
output: {type: int, classes: [0, 1]}
prediction: pred
performance: {metrics: {accuracy: {min: FLOOR}}}
"""


def _binary(n: int, rng: np.random.Generator, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and labels drawn from P(y=1 | x) = sigmoid(2 x1 - x2); ``scale`` narrows x1 towards the boundary."""
    x = np.column_stack([rng.normal(0, scale, n), rng.normal(0, 1, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(2.0 * x[:, 0] - x[:, 1])))).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A logistic regression, its labelled reference, and two current sets (x1 narrowed to 0.4 and 0.8) with labels withheld."""
    d = tmp_path_factory.mktemp("binary")
    rng = np.random.default_rng(3)
    model = LogisticRegression().fit(*_binary(4000, rng))

    def table(x: np.ndarray, y: np.ndarray) -> pa.Table:
        p = model.predict_proba(x)
        return pa.table({"x1": x[:, 0], "x2": x[:, 1], "y": y, "pred": p.argmax(1), "conf": p.max(1)})

    out: dict[str, object] = {"dir": d}
    ref = table(*_binary(10_000, rng))
    pq.write_table(ref, d / "ref.parquet")
    out["ref_accuracy"] = accuracy_score(ref.column("y").to_numpy(), ref.column("pred").to_numpy())
    for name, scale in (("shifted", 0.4), ("mild", 0.8)):
        cur = table(*_binary(10_000, rng, scale))
        out[f"{name}_accuracy"] = accuracy_score(cur.column("y").to_numpy(), cur.column("pred").to_numpy())
        pq.write_table(cur.drop_columns(["y"]), d / f"{name}.parquet")  # the labels withheld
        pq.write_table(cur.set_column(2, "y", pa.nulls(cur.num_rows, pa.int64())), d / f"{name}_null.parquet")
    return out


def _report(d: Path, current: str, *extra: str) -> tuple[int, str, dict[str, object]]:
    res = CliRunner().invoke(app, ["report", "--reference", str(d / "ref.parquet"), "--current", str(d / current),
                                   "--target", "y", "--prediction", "pred", "--no-multivariate", "--json", str(d / "out.json"), *extra])
    data = json.loads((d / "out.json").read_text()) if res.exit_code in (0, 1) else {}
    return res.exit_code, res.output, data


def test_covariate_shift_estimate_within_two_points_of_withheld_accuracy(binary: dict[str, object]) -> None:
    d = binary["dir"]
    assert isinstance(d, Path)
    code, out, data = _report(d, "shifted.parquet", "--confidence", "conf", "--html", str(d / "out.html"))
    perf = data["summary"]["performance"]  # type: ignore[index]
    acc = perf["metrics"]["accuracy"]
    realized = binary["shifted_accuracy"]
    assert isinstance(realized, float) and realized < binary["ref_accuracy"] - 0.05  # type: ignore[operator]  # the shift cost accuracy
    assert abs(acc["estimated"] - realized) < 0.02
    assert acc["reference"] == binary["ref_accuracy"] and acc["current"] is None  # no realized current figure is claimed
    assert (perf["basis"], perf["labels"], perf["estimated_predictions"]) == ("estimated", {"reference": 10_000, "current": 0}, 10_000)
    (f,) = [f for f in data["findings"] if f["kind"] == "estimated_performance" and f["feature"] == "accuracy"]  # type: ignore[index, union-attr]
    assert (f["severity"], f["statistic"], f["value"], f["threshold"]) == ("critical", "estimated_accuracy", acc["estimated"], acc["reference"])
    assert "is clearly below the reference's realized" in f["message"]
    assert code == 1
    assert "performance (y): ESTIMATED for current, which has no labels" in out
    assert f"accuracy   reference {acc['reference']:.3f}, current estimated {acc['estimated']:.3f} ± {1.96 * acc['estimated_se']:.3f}" in out
    page = (d / "out.html").read_text()
    assert "<th>current (estimated)</th>" in page and "its figures are <b>estimated</b>" in page


def test_entirely_null_label_column_is_estimated_too(binary: dict[str, object]) -> None:
    d = binary["dir"]
    assert isinstance(d, Path)
    _, _, data = _report(d, "shifted_null.parquet", "--confidence", "conf")
    _, _, absent = _report(d, "shifted.parquet", "--confidence", "conf")
    assert data["summary"]["performance"] == absent["summary"]["performance"]  # type: ignore[index]


def test_estimate_below_the_floor_exits_1_and_above_it_0(binary: dict[str, object]) -> None:
    d = binary["dir"]
    assert isinstance(d, Path)
    mild = binary["mild_accuracy"]
    assert isinstance(mild, float) and 0.75 < mild < 0.78  # the truth sits between the two floors below
    (d / "strict.yaml").write_text(SPEC.replace("FLOOR", "0.78"))
    (d / "loose.yaml").write_text(SPEC.replace("FLOOR", "0.75"))
    code, _, data = _report(d, "mild.parquet", "--confidence", "conf", "--spec", str(d / "strict.yaml"))
    crit = [f for f in data["findings"] if f["severity"] == "critical"]  # type: ignore[union-attr]
    assert code == 1 and [(f["kind"], f["feature"]) for f in crit] == [("estimated_performance", "accuracy")]
    est = data["summary"]["performance"]["metrics"]["accuracy"]["estimated"]  # type: ignore[index]
    assert abs(est - mild) < 0.02 and crit[0]["value"] == est and crit[0]["threshold"] == 0.78
    assert crit[0]["message"].startswith(f"estimated accuracy {est:.3f} (± ")
    assert "is below the floor 0.78, before their labels arrive (0 so far)" in crit[0]["message"]
    code, _, data = _report(d, "mild.parquet", "--confidence", "conf", "--spec", str(d / "loose.yaml"))
    assert code == 0 and not [f for f in data["findings"] if f["kind"] == "estimated_performance"]  # type: ignore[union-attr]


def test_usage_errors_name_the_fix(binary: dict[str, object], tmp_path: Path) -> None:
    d = binary["dir"]
    assert isinstance(d, Path)
    fix = ("to estimate performance without labels pass --confidence COLUMN (the probability of the predicted class) or "
           "--probabilities CLASS=COLUMN,...; or give current data with labels")
    code, out, _ = _report(d, "shifted.parquet")
    assert (code, out.strip()) == (2, f"telltale report: --target 'y' is not a column of the current data: {fix}")
    code, out, _ = _report(d, "shifted_null.parquet")
    assert (code, out.strip()) == (2, f"telltale report: --target 'y' holds no label in the current data: {fix}")
    code, out, _ = _report(d, "shifted.parquet", "--probabilities", "0=conf,1")
    assert (code, out.strip()) == (2, "telltale report: --probabilities item 1 '1': give CLASS=COLUMN for every class, e.g. "
                                      "--probabilities setosa=p_setosa,versicolor=p_versicolor,virginica=p_virginica")
    bad = pq.read_table(d / "shifted.parquet")
    pq.write_table(bad.set_column(3, "conf", pa.array([1.5, *bad.column("conf").to_pylist()[1:]])), tmp_path / "bad.parquet")
    res = CliRunner().invoke(app, ["report", "--reference", str(d / "ref.parquet"), "--current", str(tmp_path / "bad.parquet"),
                                   "--target", "y", "--prediction", "pred", "--confidence", "conf", "--no-multivariate"])
    assert (res.exit_code, res.output.strip()) == (2, "telltale report: --confidence 'conf': row 0 of the current data holds 1.5; "
                                                      "a confidence is the probability of the predicted class, a number within [0, 1]")


def test_saved_reference_gives_the_same_estimate_as_its_data(binary: dict[str, object], tmp_path: Path) -> None:
    d = binary["dir"]
    assert isinstance(d, Path)
    spec = tmp_path / "telltale.yaml"
    res = CliRunner().invoke(app, ["init", "--reference", str(d / "ref.parquet"), "--target", "y", "--prediction", "pred",
                                   "--confidence", "conf", "--out", str(spec)])
    assert res.exit_code == 0 and "telltale.reference.profile and telltale.reference.performance;" in res.output, res.output
    assert "conf" not in spec.read_text()  # the confidence is not an input of the contract
    args = ["report", "--spec", str(spec), "--current", str(d / "shifted.parquet"), "--target", "y", "--prediction", "pred",
            "--confidence", "conf", "--no-multivariate"]
    res = CliRunner().invoke(app, [*args, "--json", str(tmp_path / "saved.json")])
    assert res.exit_code == 1, res.output
    _, _, data = _report(d, "shifted.parquet", "--confidence", "conf", "--spec", str(spec))
    saved = json.loads((tmp_path / "saved.json").read_text())
    assert saved["summary"]["performance"] == data["summary"]["performance"]  # type: ignore[index]
    estimated = {(f["feature"], f["value"]) for f in saved["findings"] if f["kind"] == "estimated_performance"}
    assert estimated == {(f["feature"], f["value"]) for f in data["findings"] if f["kind"] == "estimated_performance"}  # type: ignore[union-attr]
    assert ("accuracy", saved["summary"]["performance"]["metrics"]["accuracy"]["estimated"]) in estimated

    res = CliRunner().invoke(app, [*args, "--probabilities", "0=conf,1=conf"])
    assert (res.exit_code, res.output.strip()) == (2, "telltale report: --probabilities needs the reference's rows (every class's "
                                                      "probability, to calibrate each class on), which a saved profile does not keep: "
                                                      "pass the reference data file (--reference train.parquet)")
    res = CliRunner().invoke(app, ["init", "--reference", str(d / "ref.parquet"), "--target", "y", "--prediction", "pred", "--out",
                                   str(spec), "--force"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, args)
    assert (res.exit_code, res.output.strip()) == (2, "telltale report: --confidence: the saved reference performance was written "
                                                      "without a confidence, so there is no calibration to estimate with: run `telltale "
                                                      "init --target ... --prediction ... --confidence COLUMN` again, or pass the "
                                                      "reference data file")
    res = CliRunner().invoke(app, ["init", "--reference", str(d / "ref.parquet"), "--out", str(spec), "--force"])
    assert res.exit_code == 0 and not (tmp_path / "telltale.reference.performance").exists(), res.output  # no stale summary left
    res = CliRunner().invoke(app, args)
    assert (res.exit_code, res.output.strip()) == (2, "telltale report: --target with a saved reference profile needs the "
                                                      "reference's performance, which `telltale init --target Y --prediction P "
                                                      "--confidence C` saves beside it (.performance); run that, or pass the "
                                                      "reference data file (--reference train.parquet)")


_W = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])  # three classes' logits from two inputs


def _three(n: int, rng: np.random.Generator, scale: float = 1.0, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(0, 1, (n, 2)) * scale + np.array([shift, 0.0])
    p = np.exp(x @ _W.T)
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(n)[:, None]
    return x, np.array(["a", "b", "c"])[(u > np.cumsum(p, axis=1)).sum(axis=1)]


def test_multiclass_macro_estimates_within_two_points(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    model = LogisticRegression().fit(*_three(4000, rng))

    def table(x: np.ndarray, y: np.ndarray) -> pa.Table:
        p = model.predict_proba(x)
        return pa.table({"x1": x[:, 0], "x2": x[:, 1], "y": y, "pred": model.classes_[p.argmax(1)],
                         **{f"p_{c}": p[:, i] for i, c in enumerate(model.classes_)}})

    pq.write_table(table(*_three(10_000, rng)), tmp_path / "ref.parquet")
    x, y = _three(10_000, rng, scale=0.5, shift=0.3)
    cur = table(x, y)
    pq.write_table(cur.drop_columns(["y"]), tmp_path / "cur.parquet")
    code, _, data = _report(tmp_path, "cur.parquet", "--probabilities", "a=p_a,b=p_b,c=p_c")
    m = data["summary"]["performance"]["metrics"]  # type: ignore[index]
    pred = cur.column("pred").to_pylist()
    truth = {"accuracy": accuracy_score(y, pred), "precision": precision_score(y, pred, average="macro"),
             "recall": recall_score(y, pred, average="macro"), "f1": f1_score(y, pred, average="macro")}
    assert truth["f1"] < m["f1"]["reference"] - 0.1  # the shift cost macro F1 more than a tenth
    for name, want in truth.items():
        assert abs(m[name]["estimated"] - want) < 0.02, (name, m[name], want)
    assert "roc_auc" not in m  # no multi-class ROC AUC is claimed
    assert code == 1

    ref_pred = pq.read_table(tmp_path / "ref.parquet").column("pred").to_pylist()
    first_c = ref_pred.index("c")
    code, out, _ = _report(tmp_path, "cur.parquet", "--probabilities", "a=p_a,b=p_b")
    assert (code, out.strip()) == (2, f"telltale report: --probabilities: row {first_c} of the reference data predicts 'c', a class "
                                      "it does not name (it names a, b); give CLASS=COLUMN for every class")
    row = next(i for i, p in enumerate(pred) if p != "b")
    p_b = cur.column("p_b").to_pylist()
    p_b[row] = 1.5
    pq.write_table(cur.drop_columns(["y"]).set_column(cur.column_names.index("p_b") - 1, "p_b", pa.array(p_b)), tmp_path / "bad.parquet")
    code, out, _ = _report(tmp_path, "bad.parquet", "--probabilities", "a=p_a,b=p_b,c=p_c")
    assert (code, out.strip()) == (2, f"telltale report: --probabilities 'p_b': row {row} of the current data holds 1.5; a "
                                      "probability is a number within [0, 1]")
