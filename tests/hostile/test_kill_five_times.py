"""Issue 10, must show: SIGKILL the server five times while several clients ingest;
every acknowledged record is stored exactly once (one row, counted once in the minute
profiles), on SQLite and on PostgreSQL.

Each client posts batches with fixed ids and, when a post fails (connection refused or
reset, 503 while the store is busy), posts the same batch again until it is answered
200: the way the HTTP sink behaves. A replay of a batch the dead server had already
committed must come back as duplicates, not as second copies.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, start_server
from tests.server.helpers import eta_record

CLIENTS = 3
BATCH = 200
KILLS = 5
T0 = 1_767_225_600.0


def _client(n: int, url: str, token: str, stop: threading.Event, acked: list[str], replays: list[int]) -> None:
    i = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        while not stop.is_set():
            records = [eta_record(i + k, T0 + (i + k) * 0.01, prefix=f"c{n}-") for k in range(BATCH)]
            while True:
                try:
                    resp = c.post("/v1/services/eta/predictions", json={"records": records})
                    if resp.status_code == 200:
                        body = resp.json()
                        assert body["errors"] == [] and body["accepted"] + body["duplicates"] == BATCH, body
                        replays[0] += body["duplicates"]
                        acked.extend(r["id"] for r in records)
                        break
                    assert resp.status_code == 503, resp.text  # shed or store busy: retry
                except httpx.TransportError:
                    pass  # the server died mid-request, or is not up yet
                time.sleep(0.05)
            i += BATCH


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_five_sigkills_during_ingest_lose_and_double_nothing(db_url: str) -> None:
    server = start_server(db_url, specs=[EXAMPLE_SPEC])
    handles: list[ServerHandle] = [server]
    stop = threading.Event()
    acked: list[list[str]] = [[] for _ in range(CLIENTS)]
    replays = [[0] for _ in range(CLIENTS)]
    threads = [threading.Thread(target=_client, args=(n, server.url, server.token, stop, acked[n], replays[n])) for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for _ in range(KILLS):
            before = sum(map(len, acked))
            deadline = time.monotonic() + 20
            while sum(map(len, acked)) < before + 2 * BATCH * CLIENTS and time.monotonic() < deadline:
                time.sleep(0.05)  # let some batches through, then kill mid-stream
            server.kill()
            server = start_server(db_url, server.port, token=server.token, specs=[EXAMPLE_SPEC])
            handles.append(server)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
    finally:
        stop.set()
        for h in handles:
            h.stop()

    ids = [i for per in acked for i in per]
    assert len(ids) == len(set(ids)) and len(ids) >= KILLS * 2 * BATCH * CLIENTS
    store = Store.open(db_url)
    try:
        stored = [r.id for r in store.read_predictions("default", "eta", 0, 4e9, limit=len(ids) + 10_000)]
        profile = store.read_profile("default", "eta", 0, 4e9)
    finally:
        store.close()
    print(f"\n{len(ids)} records acknowledged across {KILLS} kills; {sum(r[0] for r in replays)} came back as duplicates of a replay")
    assert len(stored) == len(ids)
    assert set(stored) == set(ids)
    assert profile is not None and profile.n == len(ids)  # merged into the minute profiles once each
