"""``telltale performance`` on a real SQLite store: windows, intervals, verdicts and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.feedback import FeedbackEvent
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

runner = CliRunner()
T0 = 1_767_225_600.0
SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
                  "performance: {metrics: {accuracy: {min: 0.8}}, min_labels: 50}\n")


def _db(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    store.put_service("default", SPEC)
    recs = [PredictionRecord(id=f"r{i}", service="churn", ts=T0 + i * 36, inputs={"x": 1.0}, output="leave", confidence=0.9) for i in range(200)]
    store.write_predictions("default", recs)
    # the first hour's 100 are right 90 times, the second hour's 100 only 60 times
    labels = [FeedbackEvent(f"r{i}", "churn", T0 + i * 36 + 7200, label="leave" if (i % 10 != 0 if i < 100 else i % 10 < 6) else "stay")
              for i in range(200)]
    store.write_feedback("default", labels)
    store.close()


def test_performance_per_window_as_json_and_table(sqlite_url: str) -> None:
    _db(sqlite_url)
    args = ["performance", "--service", "churn", "--db", sqlite_url, "--since", str(T0), "--until", str(T0 + 7200), "--window", "3600"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    w1, w2 = json.loads(res.output)["windows"]
    assert (w1["metrics"]["accuracy"]["value"], w2["metrics"]["accuracy"]["value"]) == (0.9, 0.6)
    assert w1["delay_mean_s"] == 7200
    assert [(f["kind"], f["severity"]) for f in w2["findings"]] == [
        ("performance", "critical"),  # below the floor
        ("estimated_performance", "critical"),  # the first hour's calibration promised 0.9: a concept shift
        ("calibration", "warning"),
    ]
    assert w2["estimate"]["estimate_on_labels"] == 0.9 and abs(w2["estimate"]["error"] + 0.3) < 1e-12
    table = runner.invoke(app, args)
    assert table.exit_code == 0
    assert "critical: realized accuracy 0.6 (95% CI 0.502 to 0.691) on 100 labels" in table.output


def test_unknown_service_is_a_usage_error(sqlite_url: str) -> None:
    _db(sqlite_url)
    res = runner.invoke(app, ["performance", "--service", "nope", "--db", sqlite_url])
    assert res.exit_code == 2 and "service 'nope' is not registered in project 'default'" in res.output
