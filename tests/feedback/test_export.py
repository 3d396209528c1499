"""Export for retraining: typed columns from the spec, joined labels, streamed page by page."""

from __future__ import annotations

import pyarrow.parquet as pq
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.feedback import FeedbackEvent
from telltale.feedback.export import export_parquet
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0
SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  tenure: {type: int}\n  plan: {type: category, categories: [a, b]}\n"
                  "  label: {type: float}\noutput: {type: category, classes: [stay, leave]}\n")


def _store(url: str, n: int = 2500) -> Store:
    s = Store.open(url)
    s.put_service("default", SPEC)
    recs = [PredictionRecord(id=f"r{i:05d}", service="churn", ts=T0 + i, inputs={"tenure": i % 40, "plan": "ab"[i % 2], "label": 0.5},
                             output="leave" if i % 3 else "stay", confidence=0.7, model_version="v3", components={"prompt": "p1"},
                             source="model" if i % 50 else "rules") for i in range(n)]
    for k in range(0, n, 1000):
        s.write_predictions("default", recs[k:k + 1000])
    fb = [FeedbackEvent(f"r{i:05d}", "churn", T0 + i + 3600, label="stay", action="overridden", value="stay", actor="crm") for i in range(0, n, 5)]
    s.write_feedback("default", fb)
    return s


def test_export_streams_pages_with_labels_and_typed_columns(sqlite_url: str, tmp_path) -> None:
    store = _store(sqlite_url)
    out = tmp_path / "all.parquet"
    res = export_parquet(store, "default", SPEC, T0, T0 + 10_000, out, page_size=1000)
    assert (res.rows, res.labeled, res.pages) == (2500, 500, 3)
    f = pq.ParquetFile(out)
    assert f.metadata.num_row_groups == 3  # one per page: never the whole span in memory
    t = f.read()
    assert str(t.schema.field("tenure").type) == "int64" and str(t.schema.field("input.label").type) == "double"
    row = t.slice(5, 1).to_pylist()[0]
    assert row == {"id": "r00005", "ts": T0 + 5, "model_version": "v3", "components": '{"prompt": "p1"}', "source": "model", "guard": None,
                   "confidence": 0.7, "latency_ms": None, "segment": None, "tenure": 5, "plan": "b", "input.label": 0.5,
                   "prediction": "leave", "label": "stay", "value": "stay", "label_ts": T0 + 5 + 3600, "action": "overridden", "actor": "crm"}
    assert t.column("source").to_pylist().count("rules") == 50


def test_labeled_only_through_the_cli(sqlite_url: str, tmp_path) -> None:
    _store(sqlite_url).close()
    out = tmp_path / "labeled.parquet"
    res = CliRunner().invoke(app, ["export", "--service", "churn", "--db", sqlite_url, "--since", str(T0), "--until", str(T0 + 10_000),
                                   "--labeled", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote 500 decision(s), 500 labelled" in res.output
    t = pq.read_table(out)
    assert t.num_rows == 500 and t.column("label").null_count == 0
