"""Control modes reach every guard within the poll interval, without a restart: from
memory on an injected clock, from a real SQLite store, and from a real server over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from telltale.clock import ManualClock
from telltale.control import ControlState, HttpControlSource, MemoryControlSource, StoreControlSource
from telltale.guard import Guard
from telltale.record.memory import MemoryRecorder
from tests.guard.conftest import GOOD, eta_model, make_spec, rules


def _until(cond, timeout=3.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def test_mode_change_applies_within_the_poll_interval():
    clock = ManualClock()
    source = MemoryControlSource()
    g = Guard(make_spec(guard={"control_poll_s": 2}), eta_model, rules, previous=lambda r: 1.5,
              recorder=MemoryRecorder(), clock=clock, control=source)
    try:
        assert g.predict(GOOD).source == "model"
        source.set("eta", ControlState("fallback", "unit change on prep_time_s", clock.now()))
        clock.advance(1.0)
        assert g.predict(GOOD).source == "model"  # not due yet: the hot path never reads the source itself
        polls = g.stats.control_polls
        clock.advance(1.0)  # the poll interval has passed on the guard's clock
        g.predict(GOOD)  # nudges the poller thread; this call does not wait for it
        assert _until(lambda: g.stats.control_polls > polls)
        d = g.predict(GOOD)
        assert (d.value, d.source) == (20.0, "rules")
        assert d.reasons == ["control mode is fallback: unit change on prep_time_s"]

        source.set("eta", ControlState("rollback", "accuracy drop", clock.now()))
        g.refresh_control()
        d = g.predict(GOOD)
        assert (d.value, d.source, d.model_version) == (1.5, "model", "v1")
        assert d.reasons == ["control mode is rollback: accuracy drop: served by the previous version v1"]

        source.set("eta", ControlState("review"))
        g.refresh_control()
        d = g.predict(GOOD)
        assert (d.value, d.source, d.reasons) == (None, "review", ["control mode is review", "queued for human review"])

        source.set("eta", ControlState("normal"))
        g.refresh_control()
        assert g.predict(GOOD).source == "model"
    finally:
        g.close()


def test_rollback_without_a_previous_model_serves_the_fallback():
    source = MemoryControlSource()
    source.set("eta", ControlState("rollback"))
    g = Guard(make_spec(), eta_model, rules, recorder=MemoryRecorder(), control=source)
    try:
        d = g.predict(GOOD)
        assert d.source == "rules" and "no previous model was given" in d.reasons[0]
    finally:
        g.close()


def test_unreachable_source_keeps_the_last_mode():
    class Flaky:
        def __init__(self):
            self.up = True

        def get(self, service):
            if not self.up:
                raise ConnectionError("refused")
            return ControlState("fallback")

    src = Flaky()
    g = Guard(make_spec(), eta_model, rules, recorder=MemoryRecorder(), control=src)
    try:
        src.up = False
        g.refresh_control()
        assert g.control_state.mode == "fallback" and g._poller.errors == 1
    finally:
        g.close()


def test_control_state_refuses_unknown_modes():
    with pytest.raises(ValueError, match="control mode must be one of canary_stopped, fallback, normal, review, rollback, got 'panic'"):
        ControlState("panic")


def test_store_backed_control(db_url):
    from telltale.store import Store

    store = Store.open(db_url)
    try:
        store.ensure_project("default")
        store.put_service("default", make_spec())
        g = Guard(make_spec(), eta_model, rules, recorder=MemoryRecorder(), control=StoreControlSource(store))
        try:
            assert g.predict(GOOD).source == "model"
            store.set_control("default", "eta", ControlState("fallback", "drill", 1.0))
            g.refresh_control()
            assert g.predict(GOOD).source == "rules"
        finally:
            g.close()
    finally:
        store.close()


def test_http_backed_control_against_a_real_server(sqlite_url):
    from telltale.server.app import create_app
    from telltale.store import Store
    from tests.server.conftest import ThreadServer

    store = Store.open(sqlite_url)
    store.ensure_project("p1")
    token = store.create_token("p1")
    store.put_service("p1", make_spec())
    server = ThreadServer(create_app(store))
    try:
        g = Guard(make_spec(guard={"control_poll_s": 0.2}), eta_model, rules, recorder=MemoryRecorder(),
                  control=HttpControlSource(server.url, token))
        try:
            assert g.control_state.mode == "normal"
            r = httpx.put(f"{server.url}/v1/services/eta/control", json={"mode": "fallback", "reason": "drill"},
                          headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            t0 = time.monotonic()
            assert _until(lambda: g.control_state.mode == "fallback", timeout=2.0)  # the real-time poll picks it up
            print(f"\nHTTP control change applied after {time.monotonic() - t0:.2f} s (poll interval 0.2 s)")
            assert g.predict(GOOD).reasons == ["control mode is fallback: drill"]
        finally:
            g.close()
    finally:
        server.stop()
        store.close()


def test_a_guard_recording_to_a_store_follows_its_mode_by_default(sqlite_url):
    from telltale.store import Store

    store = Store.open(sqlite_url)
    store.put_service("default", make_spec())
    g = Guard(make_spec(), eta_model, rules, previous=lambda r: 1.5, record_to=sqlite_url)
    off = Guard(make_spec(), eta_model, rules, previous=lambda r: 1.5, record_to=sqlite_url, control=False)
    try:
        store.set_control("default", "eta", ControlState("rollback", "bad deploy", 1.0), actor="person:ana")
        g.refresh_control()
        d = g.predict(GOOD)
        assert (d.value, d.model_version) == (1.5, "v1")
        assert off.control_state.mode == "normal" and off.predict(GOOD).value == 16.0  # opted out
    finally:
        g.close()
        off.close()
        store.close()


def test_a_store_that_is_down_keeps_the_last_mode_and_counts_the_errors():
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    g = Guard(make_spec(), eta_model, rules, recorder=MemoryRecorder(), control=url)
    try:
        g.refresh_control()
        assert g.control_state.mode == "normal" and g._poller.errors >= 2
        assert g.predict(GOOD).source == "model"
    finally:
        g.close()


def test_canary_stopped_sends_the_canary_share_to_the_primary():
    source = MemoryControlSource()
    g = Guard(make_spec(guard={"canary_share": 1.0}), eta_model, rules, canary=lambda r: 99.0,
              recorder=MemoryRecorder(), control=source)
    try:
        assert g.predict(GOOD).source == "canary"
        source.set("eta", ControlState("canary_stopped", "canary errors"))
        g.refresh_control()
        d = g.predict(GOOD)
        assert (d.source, d.value) == ("model", 16.0)
    finally:
        g.close()
