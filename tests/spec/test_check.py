"""The readiness gate: blanks, owners, SLOs, rules and fallbacks must exist before launch."""

from __future__ import annotations

from pathlib import Path

from telltale.spec import check_spec

from ..conftest import EXAMPLE_SPEC

UNREADY = """\
service: eta
owner: FILL_ME  # who gets alerts
inputs:
  prep_time_s: {type: float, range: [0, 3600]}
slos: []
"""


def test_complete_example_is_ready():
    assert check_spec(EXAMPLE_SPEC) == []


def test_unready_spec_lists_each_gap_with_its_line(tmp_path: Path):
    path = tmp_path / "telltale.yaml"
    path.write_text(UNREADY)
    got = [str(p) for p in check_spec(path)]
    assert got == [
        f"{path}:2 owner: is still blank (FILL_ME): a person must decide this before launch",
        f"{path} owners: no owner for data, model or platform signals: alerts would reach nobody; name at least one",
        f"{path}:5 slos: no SLOs: write the latency, fallback-rate or accuracy objectives this service must meet",
        f"{path} rules: no rollback or fallback rule: write when to roll back before launch, not during an incident",
        f"{path} fallback: no fallback chain: say what is served when the model cannot be (rules, a default, abstain or review)",
    ]


def test_structural_errors_come_before_readiness(tmp_path: Path):
    path = tmp_path / "telltale.yaml"
    path.write_text(UNREADY.replace("[0, 3600]", "[10, 1]"))
    got = [str(p) for p in check_spec(path)]
    assert got == [f"{path}:4 inputs.prep_time_s.range: min 10 is greater than max 1"]
