"""``telltale init`` and ``telltale report`` on data with free text and embeddings."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.spec import load_spec
from tests.drift._reviews import reviews


def _table(n: int, seed: int, *, shifted: float = 0.0, move: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "review": reviews(n, seed, shifted=shifted),
        "emb": pa.array(list(rng.standard_normal((n, 8)) + move), type=pa.list_(pa.float32(), 8)),
        "customer": [f"Customer {i % 300}" for i in range(n)],  # short names: a string, not text
        "price": rng.gamma(3, 10, n),
    })


def test_init_infers_text_and_vector_and_the_report_names_what_moved(tmp_path):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(_table(1500, 1), ref)
    pq.write_table(_table(1500, 2, shifted=0.6, move=0.4), cur)
    spec_path = tmp_path / "telltale.yaml"
    r = CliRunner().invoke(app, ["init", "--reference", str(ref), "--out", str(spec_path)])
    assert r.exit_code == 0, r.output
    spec = load_spec(spec_path)
    assert (spec.inputs["review"].type, spec.inputs["emb"].type, spec.inputs["emb"].dim) == ("text", "vector", 8)
    assert spec.inputs["customer"].type == "string"

    out = tmp_path / "out.json"
    r = CliRunner().invoke(app, ["report", "--reference", str(ref), "--current", str(cur), "--spec", str(spec_path), "--json", str(out)])
    assert r.exit_code == 1, r.output
    found = {(f["kind"], f["feature"]): f for f in json.loads(out.read_text())["findings"]}
    review = found[("drift", "review")]
    assert review["severity"] == "critical" and review["statistic"] == "domain_classifier_auc"
    assert "n-grams that moved" in review["message"] and "0.0% ->" in review["message"]
    assert found[("drift", "emb:mean")]["severity"] == "critical"
    assert found[("drift", "emb")]["statistic"] == "domain_classifier_auc"
    assert ("drift", "customer") not in found and ("drift", "price") not in found

    # against the saved reference profile: the statistics and the mean embedding, no classifier
    r = CliRunner().invoke(app, ["report", "--current", str(cur), "--spec", str(spec_path), "--json", str(out)])
    assert r.exit_code == 1, r.output
    kinds = {(f["kind"], f["feature"]) for f in json.loads(out.read_text())["findings"]}
    assert ("drift", "emb:mean") in kinds and ("drift", "review") not in kinds
