"""Three days of simulated traffic with three faults after the model answers, written
straight into a store (shared by the replay test and the determinism test, which reads
the same file from fresh processes).

Traffic: ``PER_MINUTE`` decisions a minute; a ``retrieval`` stage, lognormal with sigma
0.3 (its p95 is 1.64x its median); token usage priced by the spec's ``cost``.

- latency: the retrieval p95 is 50 ms until hour 20, then creeps linearly to 500 ms at
  hour 22 and stays there; its budget (``guard.stages.retrieval``) is 200 ms, crossed at
  20:40. (At ten decisions a minute a slower creep is caught later: the check needs five
  calls of a window over the budget, and only the sampling noise can show a p95 that
  has just crossed; see ``checks/latency.py``.)
- cost: output tokens jump from 200 to 2000 a call at hour 50 for an hour (the cost per
  decision goes from 0.0025 to 0.0205 against a budget of 0.005);
- errors: at hour 60, for 30 minutes, one call in five raises (guard ``model_error``,
  served by the rules fallback).
"""

from __future__ import annotations

import math

import numpy as np

from telltale.guard.cost import CostModel, Tokens
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0  # a minute boundary (2026-01-01 00:00 UTC)
HOUR = 3600.0
DAYS = 3
PER_MINUTE = 10
SIGMA = 0.3
P95_FACTOR = math.exp(1.6448536269514722 * SIGMA)

CREEP_START, CREEP_END = 20 * HOUR, 22 * HOUR
BUDGET_MS = 200.0
CROSSING = CREEP_START + (BUDGET_MS - 50.0) / (500.0 - 50.0) * (CREEP_END - CREEP_START)  # 20:40
SPIKE_START, SPIKE_END = 50 * HOUR, 51 * HOUR
BURST_START, BURST_END = 60 * HOUR, 60.5 * HOUR

SPEC = parse_spec(f"""
service: chat
owner: me
inputs:
  words: {{type: float, range: [0, 1000]}}
output: {{type: string}}
guard:
  stages: {{retrieval: {BUDGET_MS:g}}}
cost: {{per_call: 0.0, per_1k_input_tokens: 0.001, per_1k_output_tokens: 0.01, budget_per_call: 0.005}}
fallback: [rules]
""")


def retrieval_p95(t: float) -> float:
    """The retrieval stage's true p95 in ms, ``t`` seconds into the replay."""
    if t < CREEP_START:
        return 50.0
    if t >= CREEP_END:
        return 500.0
    return 50.0 + 450.0 * (t - CREEP_START) / (CREEP_END - CREEP_START)


def records(seed: int = 7) -> list[PredictionRecord]:
    rng = np.random.default_rng(seed)
    prices = CostModel(SPEC.cost)
    out: list[PredictionRecord] = []
    minutes = DAYS * 24 * 60
    noise = rng.standard_normal((minutes, PER_MINUTE))
    fails = rng.random((minutes, PER_MINUTE))
    words = rng.integers(1, 1000, (minutes, PER_MINUTE))
    for m in range(minutes):
        t = m * 60.0
        median = retrieval_p95(t) / P95_FACTOR
        spiking = SPIKE_START <= t < SPIKE_END
        bursting = BURST_START <= t < BURST_END
        for i in range(PER_MINUTE):
            ts = T0 + t + i * (60.0 / PER_MINUTE)
            retrieval = float(median * math.exp(SIGMA * noise[m, i]))
            failed = bursting and fails[m, i] < 0.2
            rid = f"r{m}-{i}"
            inputs = {"words": float(words[m, i])}
            if failed:
                out.append(PredictionRecord(rid, "chat", ts, inputs, "rules answer", source="rules", latency_ms=retrieval + 5.0,
                                            stages={"retrieval": retrieval, "model": 5.0}, cost=0.0, guard="model_error",
                                            attempts=1, reasons=["model raised ConnectionError"]))
                continue
            tokens = Tokens(input=500, output=2000 if spiking else 200, cached=0)
            out.append(PredictionRecord(rid, "chat", ts, inputs, "answer", latency_ms=retrieval + 40.0,
                                        stages={"retrieval": retrieval, "model": 40.0}, cost=prices.cost(1, {"input_tokens": tokens.input, "output_tokens": tokens.output}),
                                        attempts=1, input_tokens=tokens.input, output_tokens=tokens.output, cached_tokens=0))
    return out


def build(url: str) -> Store:
    """A store at ``url`` holding the whole replay under project ``p``."""
    store = Store.open(url)
    store.put_service("p", SPEC)
    recs = records()
    for lo in range(0, len(recs), 5000):
        store.write_predictions("p", recs[lo:lo + 5000])
    return store
