"""The incident timeline: one ordered view built from one source per kind of event."""

from __future__ import annotations

import pytest

from telltale import timeline as tl
from telltale.alerts import deliver_due, enqueue
from telltale.cli.timeline import render
from telltale.control import ControlState
from telltale.store import Store
from tests.alerts.conftest import standin  # noqa: F401 - the fixture
from tests.alerts.helpers import alert, spec_with


def test_events_from_every_source_in_one_order_cause_first(sqlite_url, clock, standin):  # noqa: F811 - the fixture imported above
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec_with({"hook": {"webhook": {"url": standin.url, "allow_private": True}}}, {"data": ["hook"]},
                                           group_wait_s=0))
    t0 = clock.now()
    enqueue(store, "default", alert("eta/unit", title="prep_time_s looks like ms"))
    store.set_control("default", "eta", ControlState("fallback", "prep_time_s in ms", t0), actor="rule:unit-change")
    deliver_due(store, t0)
    clock.advance(120)
    enqueue(store, "default", alert("eta/unit", state="resolved", title="prep_time_s looks like ms"))
    deliver_due(store, clock.now())  # resolved: told at the group interval, not yet
    events = tl.timeline(store, "default", "eta", t0 - 1, t0 + 3600)
    assert [(e.at - t0, e.kind, e.summary) for e in events] == [
        (0, "mode", "mode normal -> fallback by rule:unit-change: prep_time_s in ms"),
        (0, "alert", "prep_time_s looks like ms (firing)"),
        (0, "delivery", "to hook about eta/unit: ok (attempt 1)"),
        (120, "alert", "prep_time_s looks like ms (resolved)"),
    ]
    assert [e.kind for e in tl.timeline(store, "default", "eta", t0 - 1, t0 + 3600, limit=2)] == ["delivery", "alert"]
    with pytest.raises(ValueError, match="kind 'weather' is not a timeline source; use one of version, finding, mode, alert, delivery"):
        tl.timeline(store, "default", "eta", t0, t0 + 1, kinds=["weather"])


def test_version_changes_come_first_at_their_first_record(sqlite_url, clock):
    from telltale.types import PredictionRecord
    from tests.alerts.helpers import spec_with as _spec

    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _spec({}, {}))
    t0 = clock.now()
    recs = [PredictionRecord(f"r{i}", "eta", t0 + i * 60, {"x": 1.0}, 1.0, model_version="v1",
                             components={"retrieval": "v3" if i < 5 else "v4"}) for i in range(10)]
    store.write_predictions("default", recs)
    events = [e for e in tl.timeline(store, "default", "eta", t0 - 1, t0 + 3600) if e.kind == "version"]
    assert [(e.at - t0, e.summary) for e in events][-1] == (300, "retrieval changed v3 -> v4")


def test_render_wraps_at_the_width_with_a_hanging_indent():
    data = {"since": 1_767_225_600.0, "until": 1_767_229_200.0, "events": [
        {"at": 1_767_225_630.0, "kind": "alert", "severity": "critical", "summary": "unit change on prep_time_s: values are about 1000 times the reference, as if they were milliseconds"},
    ]}
    assert render("eta", data, 80) == [
        "eta: 1 event from 2026-01-01 00:00:00 to 2026-01-01 01:00:00",
        "2026-01-01 00:00:30  alert    critical unit change on prep_time_s: values are",
        "                                       about 1000 times the reference, as if",
        "                                       they were milliseconds",
    ]
