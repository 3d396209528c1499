"""``telltale report`` end to end on small Parquet and CSV files: exit codes, JSON, HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.types import FINDING_KINDS

from ..report._data import SPEC_YAML, table

runner = CliRunner()


def _write(tmp: Path, fmt: str, *, faulty: bool, n: int = 4000) -> tuple[Path, Path]:
    ref, cur = tmp / f"ref.{fmt}", tmp / f"cur.{fmt}"
    for path, t in ((ref, table(n, 1)), (cur, table(n, 2, faulty=faulty))):
        if fmt == "parquet":
            pq.write_table(t, path)
        else:
            pacsv.write_csv(t, path)
    return ref, cur


def _report(*args: str):
    return runner.invoke(app, ["report", *map(str, args)])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_clean_data_exits_0_with_json(tmp_path, fmt):
    ref, cur = _write(tmp_path, fmt, faulty=False)
    spec = tmp_path / "telltale.yaml"
    spec.write_text(SPEC_YAML)
    out = tmp_path / "out.json"
    res = _report("--reference", ref, "--current", cur, "--spec", spec, "--json", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert set(doc) == {"findings", "summary"}
    assert doc["summary"]["critical"] == 0 and doc["summary"]["exit_code"] == 0
    assert doc["summary"]["reference"]["rows"] == 4000
    assert "nothing critical" in res.output


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_faulty_data_exits_1_json_and_html(tmp_path, fmt):
    ref, cur = _write(tmp_path, fmt, faulty=True)
    spec = tmp_path / "telltale.yaml"
    spec.write_text(SPEC_YAML)
    out, page = tmp_path / "out.json", tmp_path / "out.html"
    res = _report("--reference", ref, "--current", cur, "--spec", spec, "--json", out, "--html", page)
    assert res.exit_code == 1, res.output
    doc = json.loads(out.read_text())
    keys = {"kind", "feature", "severity", "statistic", "value", "threshold", "window", "message"}
    assert doc["findings"] and all(set(f) == keys for f in doc["findings"])
    assert all(f["kind"] in FINDING_KINDS and f["severity"] in ("critical", "warning") for f in doc["findings"])
    assert {("drift", "amount"), ("drift", "city"), ("prediction_drift", "score")} <= {(f["kind"], f["feature"]) for f in doc["findings"]}
    assert doc["summary"]["critical"] == sum(f["severity"] == "critical" for f in doc["findings"]) > 0

    html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)  # nothing fetched from outside
    assert "<script" not in html
    flagged = sorted({f["feature"] for f in doc["findings"] if f["feature"]})
    plotted = sorted(re.findall(r'<figure class="plot" data-feature="([^"]+)"><img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{500,}"', html))
    assert plotted == flagged
    # the table of every check lists passed ones too
    assert html.count('<span class="passed">passed</span>') >= 2
    assert "steady" in html


def test_without_spec_infers_one(tmp_path):
    ref, cur = _write(tmp_path, "parquet", faulty=True, n=2000)
    out = tmp_path / "out.json"
    res = _report("--reference", ref, "--current", cur, "--json", out, "--no-multivariate")
    assert res.exit_code == 1, res.output
    doc = json.loads(out.read_text())
    assert doc["summary"]["spec"] == "inferred from the reference"
    assert "amount" in doc["summary"]["features_flagged"]


def test_missing_file_exits_2_with_one_line(tmp_path):
    ref, _ = _write(tmp_path, "parquet", faulty=False, n=100)
    res = _report("--reference", ref, "--current", tmp_path / "missing.parquet")
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing.parquet" in lines[0] and "not found" in lines[0]


def test_unreadable_data_exits_2(tmp_path):
    ref, _ = _write(tmp_path, "parquet", faulty=False, n=100)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    res = _report("--reference", ref, "--current", bad)
    assert res.exit_code == 2 and "bad.parquet" in res.output and "cannot be read" in res.output


def test_spec_column_absent_from_both_sets_exits_2(tmp_path):
    ref, cur = _write(tmp_path, "csv", faulty=False, n=100)
    spec = tmp_path / "telltale.yaml"
    spec.write_text(SPEC_YAML.replace("steady:", "not_in_data:"))
    res = _report("--reference", ref, "--current", cur, "--spec", spec)
    assert res.exit_code == 2 and "'not_in_data'" in res.output and "neither data set" in res.output


def test_installed_console_script_exit_code(tmp_path):
    # The real entry point in a real process, for the usage-error path.
    exe = Path(sys.executable).with_name("telltale")
    proc = subprocess.run([str(exe), "report", "--reference", str(tmp_path / "a.csv"), "--current", str(tmp_path / "b.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"telltale report: {tmp_path / 'a.csv'}: file not found; {tmp_path / 'b.csv'}: file not found" in proc.stderr


def _saved(tmp: Path, *, faulty: bool) -> tuple[Path, Path, Path]:
    """A spec with a reference profile saved from the reference data, and current data."""
    from telltale.profile import Profile
    from telltale.spec import load_spec

    ref, cur = _write(tmp, "parquet", faulty=faulty)
    spec = tmp / "telltale.yaml"
    spec.write_text(SPEC_YAML + "reference: telltale.reference.profile\n")
    profile = tmp / "telltale.reference.profile"
    profile.write_bytes(Profile.from_columns(load_spec(spec), pq.read_table(ref)).to_bytes())
    return spec, profile, cur


def test_saved_reference_profile_finds_the_same_faults_as_the_data(tmp_path):
    spec, profile, cur = _saved(tmp_path, faulty=True)
    saved_json, data_json, page = tmp_path / "saved.json", tmp_path / "data.json", tmp_path / "saved.html"
    res = _report("--spec", spec, "--current", cur, "--json", saved_json, "--html", page)  # the spec's reference: key
    assert res.exit_code == 1, res.output
    assert _report("--reference", tmp_path / "ref.parquet", "--current", cur, "--spec", spec, "--json", data_json,
                   "--no-multivariate").exit_code == 1
    saved, data = json.loads(saved_json.read_text()), json.loads(data_json.read_text())
    critical = lambda doc: {(f["kind"], f["feature"]) for f in doc["findings"] if f["severity"] == "critical"}  # noqa: E731
    assert critical(saved) == critical(data)
    assert {("drift", "amount"), ("drift", "city"), ("prediction_drift", "score")} <= critical(saved)
    assert saved["summary"]["reference"] == {"path": "telltale.reference.profile (from the spec)", "rows": 4000,
                                             "columns": 5, "profile": True}
    assert saved["summary"]["multivariate_auc"] is None
    html = page.read_text()
    plotted = sorted(re.findall(r'<figure class="plot" data-feature="([^"]+)"><img[^>]+src="data:image/png;base64,', html))
    assert plotted == sorted({f["feature"] for f in saved["findings"] if f["feature"]})
    assert "a saved profile keeps none" in html  # the classifier is listed as skipped, with why


def test_saved_reference_profile_on_clean_data_exits_0(tmp_path):
    spec, profile, cur = _saved(tmp_path, faulty=False)
    res = _report("--reference", profile, "--spec", spec, "--current", cur)
    assert res.exit_code == 0, res.output
    assert "(4,000 rows)" in res.output and "nothing critical" in res.output


def test_saved_reference_profile_needs_a_spec_and_a_real_profile(tmp_path):
    spec, profile, cur = _saved(tmp_path, faulty=False)
    res = _report("--reference", profile, "--current", cur)
    assert res.exit_code == 2 and "needs --spec" in res.output
    bogus = tmp_path / "bogus.profile"
    bogus.write_bytes(b"not a profile")
    res = _report("--reference", bogus, "--spec", spec, "--current", cur)
    assert res.exit_code == 2 and "bogus.profile: not a telltale profile" in res.output
    res = _report("--current", cur)
    assert res.exit_code == 2 and "no reference" in res.output
