"""`telltale check` as a user runs it: exit codes and one line per problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..conftest import EXAMPLE_SPEC


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "telltale.cli.main", *args], capture_output=True, text=True, timeout=60)


def test_ready_spec_exits_zero():
    r = _run("check", str(EXAMPLE_SPEC))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is ready to launch" in r.stdout


def test_broken_spec_prints_each_problem_and_exits_one(tmp_path: Path):
    spec = tmp_path / "telltale.yaml"
    spec.write_text(EXAMPLE_SPEC.read_text().replace("range: [0, 7200]", "range: [7200, 0]").replace("unit: km", "unit: furlongs"))
    r = _run("check", str(spec))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert f"{spec}:16 inputs.distance_km: unit 'furlongs' is not known; use one of" in lines[0]
    assert lines[1] == f"{spec}:17 inputs.prep_time_s.range: min 7200 is greater than max 0"
    assert lines[2].startswith("2 problems")


def test_missing_file_exits_one_with_a_hint(tmp_path: Path):
    r = _run("check", str(tmp_path / "absent.yaml"))
    assert r.returncode == 1
    assert "file not found; run `telltale init` to write one" in r.stdout
