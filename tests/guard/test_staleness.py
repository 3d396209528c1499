"""Issue 7, item 8: stale inputs at the door. The guard serves the fallback when the
call's event_ts is older than guard.max_staleness_s, or a required timestamp input is
older than its max_staleness_s; the record names the guard ``stale``."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from telltale.clock import ManualClock
from telltale.errors import SpecError
from telltale.guard import Guard
from telltale.record.memory import MemoryRecorder
from telltale.spec import parse_spec
from tests.guard.conftest import BASE, GOOD, eta_model, make_spec, rules

T = 1_767_225_600.0


def _guard(spec, clock: ManualClock) -> tuple[Guard, MemoryRecorder]:
    rec = MemoryRecorder()
    return Guard(spec, eta_model, rules, recorder=rec, clock=clock), rec


def test_an_old_event_ts_serves_the_fallback_and_names_the_guard() -> None:
    clock = ManualClock(start=T)
    g, rec = _guard(make_spec(guard={"max_staleness_s": 600}), clock)
    fresh = g.predict(GOOD, event_ts=T - 599)
    stale = g.predict(GOOD, event_ts=T - 900)
    unknown = g.predict(GOOD)  # no event_ts: nothing to judge
    assert (fresh.source, stale.source, unknown.source) == ("model", "rules", "model")
    assert stale.reasons == ["event_ts is 900 s old; the most is 600 s (guard.max_staleness_s): the upstream feed or join is late"]
    assert [r.guard for r in rec.records] == [None, "stale", None]
    assert rec.records[1].event_ts == T - 900
    assert g.stats.triggers["stale"] == 1


def test_an_event_ts_in_milliseconds_is_refused_with_the_fix() -> None:
    g, _ = _guard(make_spec(guard={"max_staleness_s": 600}), ManualClock(start=T))
    d = g.predict(GOOD, event_ts=T * 1000)
    assert d.source == "rules"
    assert d.reasons == [f"event_ts is {T * 1000:.17g}, which looks like milliseconds: divide by 1000 to send epoch seconds"]


def test_a_required_timestamp_input_older_than_its_limit_serves_the_fallback() -> None:
    inputs = {**BASE["inputs"], "order_ts": {"type": "timestamp", "max_staleness_s": 300},
              "seen_ts": {"type": "timestamp", "max_staleness_s": 10, "required": False}}
    clock = ManualClock(start=T)
    g, rec = _guard(make_spec(inputs=inputs), clock)
    ok = g.predict({**GOOD, "order_ts": T - 120, "seen_ts": T - 3600})  # seen_ts is not required: monitored only
    old = g.predict({**GOOD, "order_ts": datetime.fromtimestamp(T - 301, timezone.utc), "seen_ts": T})
    iso = g.predict({**GOOD, "order_ts": "2025-12-31T23:00:00+00:00", "seen_ts": T})
    assert (ok.source, old.source, iso.source) == ("model", "rules", "rules")
    assert old.reasons == ["input order_ts is 301 s old; the most is 300 s (inputs.order_ts.max_staleness_s): "
                           "the upstream feed or join is late"]
    assert iso.reasons[0].startswith("input order_ts is 3600 s old")
    assert [r.guard for r in rec.records] == [None, "stale", "stale"]


def test_a_guard_without_limits_keeps_its_fast_path() -> None:
    g, _ = _guard(make_spec(), ManualClock(start=T))
    assert g._stale is None and g._plain_admit
    assert g.predict(GOOD, event_ts=0.0).source == "model"


def test_max_staleness_s_is_validated() -> None:
    with pytest.raises(SpecError, match="max_staleness_s is only meaningful for type 'timestamp', not 'float'; "
                                        "for the record's event_ts use guard.max_staleness_s"):
        parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float, max_staleness_s: 5}\n")
    with pytest.raises(SpecError, match="guard.max_staleness_s"):
        parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nguard: {max_staleness_s: -1}\n")
