"""Two monitors racing during a lease takeover store each finding once (SQLite and PostgreSQL).

The lease keeps one monitor running, but a holder whose lease lapsed mid-tick may still
commit while its successor ticks. The cursor compare-and-set decides: the second writer
of the same windows changes nothing. The first tick has no cursor row to lock; it claims
the cursor by inserting it, so a concurrent first tick waits and then backs off.
"""

from __future__ import annotations

import threading
import time

from telltale.store import Store, _findings
from telltale.store._findings import Cursor, Evaluated
from telltale.store.engine import write_tx
from telltale.types import Finding, Window

T0 = 1_767_225_600.0
W = 300.0


def _windows() -> list[Evaluated]:
    out = []
    for k in range(3):
        w0 = T0 + k * W
        f = Finding("nulls", "distance_km", "critical", "share", 0.4, 0.05, Window.from_epoch(w0, w0 + W), "40% nulls")
        out.append(Evaluated(w0, w0 + W, 100, (f,)))
    return out


def test_a_first_tick_racing_an_uncommitted_first_tick_backs_off(db_url: str) -> None:
    a, b = Store.open(db_url), Store.open(db_url)
    advance = Cursor(T0 + 3 * W, 0.0)
    got: list[bool] = []
    try:
        with write_tx(a._engine) as conn:  # replica A's first tick, not yet committed
            assert _findings.record(conn, "p", "eta", _windows(), window_s=W, expect=None, advance=advance, now=T0 + 1000)
            racer = threading.Thread(target=lambda: got.append(
                b.record_windows("p", "eta", _windows(), window_s=W, expect=None, advance=advance)))
            racer.start()  # replica B's first tick of the same windows: it must wait for A
            time.sleep(0.5)
            assert got == []  # still waiting on A's transaction
        racer.join(10)
        assert got == [False]
        (f,) = a.findings("p", "eta", state="open")  # one finding, not two
        assert (f.fingerprint, f.opened, f.last_seen) == ("eta/nulls/distance_km", T0, T0 + 3 * W)
        assert a.monitor_cursor("p", "eta") == advance
        # and a later tick from the stale cursor (a holder whose lease lapsed) changes nothing
        assert not b.record_windows("p", "eta", _windows(), window_s=W, expect=None, advance=advance)
        assert len(a.findings("p", "eta", state="open")) == 1
    finally:
        a.close()
        b.close()
