"""Issue 7's must-show: any valid record comes back identical, field for field, from the
in-memory sink (by way of the spill), the store (SQLite and PostgreSQL) and the HTTP
sink (a real server on the same database). Hypothesis draws the records."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from telltale.contract import Contract
from telltale.record import BackgroundRecorder, HttpSink, MemorySink
from telltale.spec import load_spec
from telltale.store import Store
from telltale.types import PredictionRecord
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import start_server

SPEC = load_spec(EXAMPLE_SPEC)
CONTRACT = Contract(SPEC)
_n = itertools.count()

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24)
name = text.filter(lambda s: s and not s.startswith("__"))
finite = st.floats(allow_nan=False, allow_infinity=False)
scalar = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | finite | text
json_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
eta_inputs = st.fixed_dictionaries({
    "distance_km": st.floats(0, 60), "prep_time_s": st.floats(0, 7200), "items": st.integers(1, 50),
    "hour": st.integers(0, 23), "weekday": st.integers(0, 6), "city": st.sampled_from(["Lyon", "Paris", "Nantes"]),
}) | st.dictionaries(name.filter(lambda s: len(s) <= 200), json_value, max_size=6)
short = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=16)


@st.composite
def records(draw: st.DrawFn) -> PredictionRecord:
    inputs = draw(eta_inputs)
    return PredictionRecord(
        id=f"{draw(short)}-{next(_n)}-{uuid.uuid4().hex[:6]}", service="eta",
        ts=draw(st.floats(1.6e9, 1.76e9)), inputs=inputs, output=draw(json_value),
        confidence=draw(st.none() | st.floats(0, 1)), source=draw(st.sampled_from(["model", "rules", "default", "canary"])),
        model_version=draw(st.none() | short), components=draw(st.dictionaries(short, short, max_size=3)),
        latency_ms=draw(st.none() | finite), stages=draw(st.dictionaries(short, finite, max_size=3)),
        cost=draw(st.none() | finite), violations=CONTRACT.check(inputs), reasons=draw(st.lists(text, max_size=3)),
        segment=draw(st.none() | text), event_ts=draw(st.none() | st.floats(1.5e9, 1.76e9)),
        guard=draw(st.none() | st.sampled_from(["breaker", "deadline", "contract", "stale"])),
        attempts=draw(st.none() | st.integers(0, 10)), input_tokens=draw(st.none() | st.integers(0, 10**9)),
        output_tokens=draw(st.none() | st.integers(0, 10**9)), cached_tokens=draw(st.none() | st.integers(0, 10**9)),
        actor=draw(st.none() | short), tags=draw(st.dictionaries(short, text, max_size=16)),
    )


def _exact(r: PredictionRecord) -> str:
    """The record as JSON text, key order kept: 1, 1.0, true and -0.0 are all different here."""
    return json.dumps(r.to_dict())


@pytest.mark.timeout(240)
def test_any_valid_record_comes_back_identical_from_every_sink(sqlite_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """One run covers SQLite and PostgreSQL: records are written straight into a SQLite
    store and a PostgreSQL store, and the server (HTTP sink) runs on the PostgreSQL one.
    Without PostgreSQL (outside scripts/test) the server runs on SQLite instead."""
    urls = [sqlite_url]
    if os.environ.get("TELLTALE_TEST_PG_URL") or os.environ.get("CI"):
        urls.append(request.getfixturevalue("pg_url"))
    stores = [Store.open(u) for u in urls]
    for store in stores:
        store.put_service("direct", SPEC)
    server = start_server(urls[-1], specs=[EXAMPLE_SPEC])
    served = stores[-1]
    http = HttpSink(server.url, server.token)
    spill_sink = MemorySink()
    spill_sink.down = True  # everything goes through the spill and is replayed from it
    recorder = BackgroundRecorder(spill_sink, spill_dir=tmp_path / "spill", flush_interval_s=0.01, probe_interval_s=0.01,
                                  max_probe_interval_s=0.02)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=4))
    def roundtrip(batch: list[PredictionRecord]) -> None:
        want = {r.id: _exact(r) for r in batch}
        for store in stores:
            assert store.write_predictions("direct", batch).inserted == len(batch)
        assert http.write(batch) is None  # nothing refused, no duplicate
        spill_sink.down = True
        for r in batch:
            recorder.submit(r)
        assert recorder.flush(10.0)
        spill_sink.down = False
        assert recorder.wait_idle(10.0)
        ts = [r.ts for r in batch]
        # each store as written directly, and the server's store as the HTTP sink wrote it
        for store, project in [*((s, "direct") for s in stores), (served, "default")]:
            got = {r.id: _exact(r) for r in store.read_predictions(project, "eta", min(ts), max(ts) + 1, limit=10_000) if r.id in want}
            assert got == want, (store.dialect, project)
        assert {i: _exact(spill_sink.by_id[i]) for i in want} == want

    try:
        roundtrip()
    finally:
        recorder.close()
        http.close()
        server.stop()
        for store in stores:
            store.close()
