"""``telltale report --target``: the issue's case, accuracy 0.83 falling to 0.62, is a critical finding and exit 1."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import accuracy_score
from typer.testing import CliRunner

from telltale.cli.main import app


def _table(n: int, right: float, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < right, y, 1 - y)
    return pa.table({"x": rng.normal(0, 1, n), "y": y.astype(str), "pred": pred.astype(str)})


def test_accuracy_drop_is_critical(tmp_path) -> None:
    ref, cur = _table(3000, 0.83, 1), _table(3000, 0.62, 2)
    pq.write_table(ref, tmp_path / "ref.parquet")
    pq.write_table(cur, tmp_path / "cur.parquet")
    out = tmp_path / "out.json"
    res = CliRunner().invoke(app, ["report", "--reference", str(tmp_path / "ref.parquet"), "--current", str(tmp_path / "cur.parquet"),
                                   "--target", "y", "--prediction", "pred", "--no-multivariate", "--json", str(out)])
    assert res.exit_code == 1, res.output
    (f,) = [f for f in json.loads(out.read_text())["findings"] if f["kind"] == "performance" and f["feature"] == "accuracy"]
    expected = accuracy_score(cur.column("y").to_pylist(), cur.column("pred").to_pylist())
    assert f["severity"] == "critical" and f["value"] == expected
    assert f["threshold"] == accuracy_score(ref.column("y").to_pylist(), ref.column("pred").to_pylist())
    assert "clearly worse than" in f["message"]


def test_missing_prediction_column_is_a_usage_error(tmp_path) -> None:
    pq.write_table(_table(200, 0.8, 1), tmp_path / "ref.parquet")
    res = CliRunner().invoke(app, ["report", "--reference", str(tmp_path / "ref.parquet"), "--current", str(tmp_path / "ref.parquet"),
                                   "--target", "y", "--prediction", "score", "--no-multivariate"])
    assert res.exit_code == 2
    assert res.output.strip() == "telltale report: --prediction 'score' is not a column of the reference data; its columns are pred, x, y"
