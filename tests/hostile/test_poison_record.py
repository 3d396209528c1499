"""Issue 10, item 1: one unstorable record must never wedge the HTTP recorder.

Before, the server answered 500 for a batch holding a lone surrogate or a 400-digit
integer, the sink treated 5xx as "try again later" and replayed that batch forever:
every good record behind it stayed stuck. Now the server answers the record alone, and
the sink, even facing a server that does answer 500 for a whole batch, halves the batch
until the poison record is alone, sets it aside in the dead-letter file and delivers
the rest. Only whole-batch answers that may pass (429, 503, network) are retried, never
sooner than the server's Retry-After.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from telltale.record import BackgroundRecorder, HttpSink
from telltale.store import Store
from tests.record.helpers import make_records
from tests.server.conftest import ServerHandle

N_GOOD = 5_000


def _poisoned(tag: str) -> tuple[list, set[str]]:
    records = make_records(N_GOOD, tag=tag)
    bad = make_records(2, tag=f"{tag}-bad")
    bad[0].inputs["city"] = "Ly\ud800on"  # a lone surrogate in a category
    bad[1].inputs["items"] = int("9" * 400)  # a 400-digit integer
    return bad[:1] + records[:2_500] + bad[1:] + records[2_500:], {r.id for r in bad}


def test_poison_records_through_a_real_server_leave_every_good_record_delivered(hostile_server: ServerHandle, tmp_path: Path) -> None:
    records, bad_ids = _poisoned("real")
    sink = HttpSink(hostile_server.url, hostile_server.token, max_batch=500)
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=500, probe_interval_s=0.05)
    t0 = time.perf_counter()
    for r in records:
        rec.submit(r)
    assert rec.wait_idle(60.0), rec.stats
    took = time.perf_counter() - t0
    rec.close()
    sink.close()
    s = rec.stats
    assert (s.dropped, s.dead_lettered) == ({"rejected": 2}, 2)
    assert s.written == N_GOOD and s.spill_pending == 0
    dead = [json.loads(line) for line in Path(s.dead_letter_path).read_text().splitlines()]  # type: ignore[arg-type]
    assert {d["record"]["id"] for d in dead} == bad_ids
    assert {d["field"] for d in dead} == {"inputs.city", "inputs.items"}
    store = Store.open(hostile_server.db_url)
    try:
        assert store.count_predictions("default", "eta") >= N_GOOD
        stored = {r.id for r in store.read_predictions("default", "eta", 0, 4e9, limit=100_000)}
    finally:
        store.close()
    assert {r.id for r in records} - stored == bad_ids
    assert took < 30.0


class _Flaky(BaseHTTPRequestHandler):
    """A stand-in server that answers 500 for any batch holding a poison id (as the old
    server did), 503 with Retry-After to the first batch it sees, and stores the rest."""

    stored: set[str]
    posts: list[tuple[float, int, int]]  # (time, status, records)
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ids = [r["id"] for r in body["records"]]
        with self.lock:
            first = not self.posts
            if first:
                status, doc, headers = 503, {"detail": "restarting"}, {"Retry-After": "1"}
            elif any("poison" in i for i in ids):
                status, doc, headers = 500, {"detail": "Internal Server Error"}, {}
            else:
                dup = sum(i in self.stored for i in ids)
                self.stored.update(ids)
                status, doc, headers = 200, {"accepted": len(ids) - dup, "duplicates": dup, "errors": [], "warnings": []}, {}
            self.posts.append((time.monotonic(), status, len(ids)))
        data = json.dumps(doc).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_a_batch_wide_500_is_halved_down_to_the_poison_record_and_503_waits_for_retry_after(tmp_path: Path) -> None:
    _Flaky.stored, _Flaky.posts = set(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        records = make_records(4_000, tag="flaky")
        poison = make_records(1, tag="poison")[0]
        records.insert(1_234, poison)
        sink = HttpSink(f"http://127.0.0.1:{httpd.server_address[1]}", "tt_standin", max_batch=1_000)
        rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=1_000, probe_interval_s=0.05)
        for r in records:
            rec.submit(r)
        assert rec.wait_idle(60.0), rec.stats
        rec.close()
        s = rec.stats
        assert _Flaky.stored == {r.id for r in records} - {poison.id}
        assert s.dropped == {"rejected": 1} and s.dead_lettered == 1
        (line,) = Path(s.dead_letter_path).read_text().splitlines()  # type: ignore[arg-type]
        assert json.loads(line)["record"]["id"] == poison.id
        assert json.loads(line)["reason"] == "HTTP 500: Internal Server Error"
        t_503 = _Flaky.posts[0][0]
        assert _Flaky.posts[0][1] == 503 and _Flaky.posts[1][0] - t_503 >= 0.95  # Retry-After: 1 honoured
        # halving a 1000-record batch down to one record costs about 2 * log2(1000) posts, not a post per record
        n_500 = sum(1 for _, status, _ in _Flaky.posts if status == 500)
        assert n_500 <= 2 * 11
    finally:
        httpd.shutdown()
