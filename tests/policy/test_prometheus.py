"""`telltale slo rules`: the rules pass `promtool check rules`, and a `promtool test rules`
file fires and stays silent exactly where the in-process evaluator does, on the same
series (Debian's promtool, installed by scripts/test)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.policy.burn import Series, verdict
from tests.guard.conftest import make_spec

SLOS = [
    {"name": "errors", "indicator": "error_rate", "objective": 0.999},  # 60 events a minute
    {"name": "fallbacks", "indicator": "fallback_rate", "max": 0.001},  # 1 event in 5 minutes: never enough to page
]
MINUTES = 300
RISE, CALM = 120, 150  # minutes: 10% bad (a 100x burn) in [RISE, CALM)
EVAL_AT = [60, 125, 135, 145, 200, 290]  # minutes



@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing under CI: scripts/test installs Debian's prometheus package")
        pytest.skip("promtool missing: run through scripts/test, which installs Debian's prometheus")
    return path


def _per_minute(slo: str) -> tuple[list[float], list[float]]:
    total = [60.0 if slo == "errors" else 0.2] * MINUTES
    bad = [(6.0 if slo == "errors" else 0.2) if RISE <= m < CALM else 0.0 for m in range(MINUTES)]
    return bad, total


def _counter(per_minute: list[float]) -> str:
    """promtool's expanding notation for a counter: the sample at minute k counts minutes [0, k)."""
    out, level = ["0"], 0.0
    for v in per_minute:
        level += v
        out.append(f"{level:g}")
    return " ".join(out)


def _in_process(slo: dict, at_min: int) -> bool:
    bad, total = _per_minute(slo["name"])
    objective = slo.get("objective") or 1 - slo["max"]
    return verdict(Series.from_counts(0, bad, total), at_min * 60.0, objective, 30 * 86400.0).page


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    spec_path = tmp_path / "telltale.yaml"
    spec = make_spec(slos=SLOS)
    spec_path.write_text(yaml.safe_dump(spec.model_dump(mode="json", by_alias=True, exclude_none=True)))
    out = tmp_path / "rules.yaml"
    r = CliRunner().invoke(app, ["slo", "rules", "--spec", str(spec_path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_rules_name_the_metrics_they_need(rules_file: Path):
    text = rules_file.read_text()
    assert text.startswith("# Written by `telltale slo rules`. Needs telltale's /metrics scraped: "
                           "telltale_slo_events_total and telltale_slo_bad_events_total")
    alerts = [r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r]
    page = next(a for a in alerts if a["alert"] == "TelltaleSLOPage" and a["labels"]["slo"] == "errors")
    assert "telltale:slo_bad_ratio:rate1h{project=\"default\",service=\"eta\",slo=\"errors\"} >= 0.0144" in page["expr"]
    assert "telltale:slo_bad_ratio:rate6h{project=\"default\",service=\"eta\",slo=\"errors\"} >= 0.006" in page["expr"]
    ticket = next(a for a in alerts if a["alert"] == "TelltaleSLOTicket" and a["labels"]["slo"] == "errors")
    assert "rate3d{project=\"default\",service=\"eta\",slo=\"errors\"} >= 0.001 and" in ticket["expr"]


def test_promtool_checks_the_rules(promtool: str, rules_file: Path):
    r = subprocess.run([promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 16 rules found" in r.stdout  # 10 recording rules, page + ticket + no data for each of 2 SLOs


def test_promtool_fires_where_the_in_process_evaluator_does(promtool: str, rules_file: Path, tmp_path: Path):
    series = []
    for slo in SLOS:
        bad, total = _per_minute(slo["name"])
        labels = f'project="default",service="eta",slo="{slo["name"]}"'
        series += [{"series": f"telltale_slo_events_total{{{labels}}}", "values": _counter(total)},
                   {"series": f"telltale_slo_bad_events_total{{{labels}}}", "values": _counter(bad)}]
    cases, expected = [], {}
    for at in EVAL_AT:
        firing = [slo["name"] for slo in SLOS if _in_process(slo, at)]
        expected[at] = firing
        cases.append({"eval_time": f"{at}m", "alertname": "TelltaleSLOPage", "exp_alerts": [
            {"exp_labels": {"project": "default", "service": "eta", "slo": name, "family": "platform", "severity": "critical", "telltale_alert": "page"},
             "exp_annotations": {"summary": f"eta: SLO {name} burns its error budget (page)",
                                 "description": f"{'error_rate' if name == 'errors' else 'fallback_rate'}, objective 0.999 over 30d"}}
            for name in firing]})
    # the in-process verdicts this file pins: silent before, paging from 15 min into the
    # burn while both windows exceed, silent once the short windows are clean; the
    # low-traffic SLO never pages (too few events), however bad its share
    assert expected == {60: [], 125: [], 135: ["errors"], 145: ["errors"], 200: [], 290: []}
    test = tmp_path / "rules_test.yaml"
    test.write_text(yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "1m",
                                    "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": cases}]}, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
