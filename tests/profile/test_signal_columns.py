"""The reserved columns for what happens after the model answers: latency per stage,
token usage and attempts (names shared with the checks and the change detectors)."""

from __future__ import annotations

from telltale.profile import ATTEMPTS, CACHED_TOKENS, INPUT_TOKENS, LATENCY, OUTPUT_TOKENS, Profile, is_reserved, stage_column
from telltale.spec import parse_spec
from telltale.types import PredictionRecord

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")


def test_stage_columns_hold_each_stage_and_are_not_inputs():
    recs = [PredictionRecord("a", "s", 0.0, {"x": 1.0}, latency_ms=30.0, stages={"retrieval": 20.0, "model": 10.0}),
            PredictionRecord("b", "s", 0.0, {"x": 2.0}, latency_ms=12.0, stages={"model": 12.0})]
    p = Profile.from_records(SPEC, recs)
    assert stage_column("retrieval") == "__stage_ms__:retrieval"
    assert sorted(p.stages) == ["model", "retrieval"]
    r = p.stages["retrieval"]
    assert (r.rows, r.missing, r.count, r.numeric.max) == (2, 1, 1, 20.0)  # a record without the stage: missing
    assert p.stages["model"].numeric.sum == 22.0 and p.fields[LATENCY].numeric.max == 30.0
    assert list(p.inputs) == ["x"] and is_reserved("__stage_ms__:retrieval") and not is_reserved("retrieval")


def test_usage_columns_only_when_some_record_reports_usage():
    plain = Profile.from_records(SPEC, [PredictionRecord("a", "s", 0.0, {"x": 1.0})])
    assert not {INPUT_TOKENS, OUTPUT_TOKENS, CACHED_TOKENS, ATTEMPTS} & set(plain.fields)
    recs = [PredictionRecord("a", "s", 0.0, {"x": 1.0}, attempts=2, input_tokens=100, output_tokens=10, cached_tokens=60),
            PredictionRecord("b", "s", 0.0, {"x": 1.0}, attempts=1, input_tokens=50, output_tokens=5, cached_tokens=0),
            PredictionRecord("c", "s", 0.0, {"x": 1.0})]  # a fallback: nothing spent
    p = Profile.from_records(SPEC, recs)
    assert [p.fields[c].numeric.sum for c in (INPUT_TOKENS, OUTPUT_TOKENS, CACHED_TOKENS, ATTEMPTS)] == [150, 15, 60, 3]
    assert p.fields[ATTEMPTS].nulls == 1
    merged = Profile.merge_all([plain, p])  # a minute without usage merges with one that has it
    assert merged.fields[INPUT_TOKENS].rows == 4 and merged.fields[INPUT_TOKENS].missing == 1
    assert Profile.from_bytes(merged.to_bytes()).fields[OUTPUT_TOKENS].numeric.sum == 15
