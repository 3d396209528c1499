"""After the model answers: a three-day replay (``tests/replay_signals.py``) with a latency
creep, an output-token spike and an error burst, checked through ``findings_for``; and
the same stored window queried from 20 fresh processes gives byte-identical findings."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from telltale.monitor import findings_for
from tests import replay_signals as R

ROOT = Path(__file__).resolve().parents[1]
WINDOW_S = 300.0


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "replay.db"
    store = R.build(f"sqlite:///{path}")
    findings = findings_for(store, "p", R.SPEC, R.T0, R.T0 + R.DAYS * 86400, WINDOW_S).findings
    store.close()
    return path, findings


def _first(findings, kind):
    hits = [f for f in findings if f.kind == kind]
    return hits[0] if hits else None


def test_latency_creep_is_named_by_stage_within_15_minutes_of_crossing_its_budget(replay):
    _, findings = replay
    latency = [f for f in findings if f.kind == "latency"]
    assert {f.feature for f in latency} == {"retrieval"}  # the model stage and the whole call have no budget crossed
    first = latency[0]
    start, end = first.window.start.timestamp() - R.T0, first.window.end.timestamp() - R.T0
    assert start >= R.CREEP_START  # none before the creep begins
    assert end <= R.CROSSING + 15 * 60
    assert first.threshold == R.BUDGET_MS
    assert first.statistic in ("latency_p95_ms", "latency_p99_ms")
    assert "stage 'retrieval'" in first.message and "guard.stages.retrieval" in first.message
    # once the p95 is past the budget for good, every window says so, critically
    late = [f for f in latency if f.window.start.timestamp() - R.T0 >= R.CREEP_END]
    assert len(late) == (R.DAYS * 86400 - R.CREEP_END) / WINDOW_S
    assert {(f.severity, f.statistic) for f in late} == {("critical", "latency_p95_ms")}


def test_output_token_spike_is_a_cost_finding_naming_output_tokens(replay):
    _, findings = replay
    cost = [f for f in findings if f.kind == "cost"]
    assert [f.window.start.timestamp() - R.T0 for f in cost] == [R.SPIKE_START + i * WINDOW_S for i in range(12)]
    first = cost[0]
    assert (first.feature, first.severity, first.statistic) == ("output tokens", "critical", "cost_per_call")
    # 500 input tokens at 0.001/1k + 2000 output tokens at 0.01/1k
    assert first.value == pytest.approx(0.0005 + 0.02)
    assert first.threshold == 0.005
    assert first.message == ("cost per decision is 0.0205 usd, above the budget (cost.budget_per_call) of 0.005: "
                             "driven by output tokens (2000 tokens per decision)")


def test_error_burst_is_an_errors_finding_within_15_minutes_and_none_before(replay):
    _, findings = replay
    errors = [f for f in findings if f.kind == "errors"]
    starts = [f.window.start.timestamp() - R.T0 for f in errors]
    assert starts[0] >= R.BURST_START and errors[0].window.end.timestamp() - R.T0 <= R.BURST_START + 15 * 60
    assert all(R.BURST_START <= s < R.BURST_END for s in starts)
    assert errors[0].statistic == "error_rate" and errors[0].threshold == 0.01


_QUERY = """
import json, sys
from telltale.monitor import findings_for
from telltale.store import Store
from tests import replay_signals as R
store = Store.open(sys.argv[1])
res = findings_for(store, "p", R.SPEC, R.T0 + 20 * 3600, R.T0 + 22 * 3600, 3600)
sys.stdout.write(json.dumps([f.to_dict() for f in res.findings], sort_keys=True))
"""


def _query(path: Path) -> bytes:
    done = subprocess.run([sys.executable, "-c", _QUERY, f"sqlite:///{path}"], cwd=ROOT, capture_output=True, check=True, timeout=120)
    return done.stdout


def test_the_same_window_gives_byte_identical_findings_in_20_fresh_processes(replay):
    path, _ = replay
    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(_query, [path] * 20))
    assert len(set(outputs)) == 1
    assert b'"kind": "latency"' in outputs[0]  # hour windows over the creep: quantiles that a random merge would move
