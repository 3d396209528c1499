"""recorder_for: one call from a target URL to a working recorder."""

from __future__ import annotations

from pathlib import Path

import pytest

from telltale.record import BackgroundRecorder, HttpSink, MemoryRecorder, StoreSink, default_spill_dir, recorder_for
from telltale.store import Store
from tests.record.helpers import make_records


def test_a_sqlite_target_records_into_that_file_and_spills_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "tt.db"
    rec = recorder_for(f"sqlite:///{db}", project="p1", batch_size=50)
    assert isinstance(rec, BackgroundRecorder)
    assert rec.spill_dir == Path(f"{db}.spill") / "p1"
    records = make_records(120)
    for r in records:
        rec.submit(r)
    assert rec.flush(30.0)
    rec.close()
    store = Store.open(f"sqlite:///{db}")
    try:
        assert store.count_predictions("p1", "eta") == 120
        assert store.count_predictions("default", "eta") == 0
    finally:
        store.close()
    assert not rec.spill_dir.exists()  # nothing needed spilling, so nothing was created


def test_targets_pick_their_sink(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TELLTALE_SPILL_DIR", str(tmp_path / "spills"))
    http = recorder_for("http://127.0.0.1:9", token="tt_x", spill_dir=None)
    pg = recorder_for("postgresql+psycopg://u:secret@db.example:5432/tt", spill_dir=None)
    try:
        assert isinstance(http, BackgroundRecorder) and isinstance(http._sink, HttpSink)
        assert isinstance(pg, BackgroundRecorder) and isinstance(pg._sink, StoreSink)
        assert http.spill_dir is None
    finally:
        http.close(timeout=0.5)
        pg.close(timeout=0.5)
    assert isinstance(recorder_for("memory://"), MemoryRecorder)
    spill = default_spill_dir("postgresql+psycopg://u:secret@db.example:5432/tt", "default")
    assert spill.parent == tmp_path / "spills"
    assert spill.name.startswith("db.example_5432-default-") and "secret" not in str(spill)
    assert default_spill_dir("http://a:1", "x") != default_spill_dir("http://a:1", "y")


def test_bad_targets_and_a_missing_token_are_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELLTALE_TOKEN", raising=False)
    with pytest.raises(ValueError, match="needs a bearer token"):
        recorder_for("https://telltale.example")
    with pytest.raises(ValueError, match="sqlite:///path") as e:
        recorder_for("mysql://u:hunter2@h/db")
    assert "hunter2" not in str(e.value) and "mysql://u:***@h/db" in str(e.value)


def test_a_process_that_exits_without_closing_still_stores_its_records(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import textwrap

    db = tmp_path / "tt.db"
    script = textwrap.dedent(f"""
        from telltale.record import recorder_for
        from tests.record.helpers import make_records
        rec = recorder_for("sqlite:///{db}", batch_size=10_000, flush_interval_s=60.0)
        for r in make_records(2_500, tag="exit"):
            rec.submit(r)
        # no flush, no close: the atexit hook must write the queue
    """)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert done.returncode == 0
    store = Store.open(f"sqlite:///{db}")
    try:
        assert store.count_predictions("default", "eta") == 2_500
    finally:
        store.close()


def test_a_guard_without_a_recorder_records_through_recorder_for(
    db_url: str, eta_spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from telltale.guard import Guard

    monkeypatch.setenv("TELLTALE_SPILL_DIR", str(tmp_path / "spills"))  # a PostgreSQL target spills here

    guard = Guard(eta_spec, model=lambda r: 5.0 + 3.0 * r["distance_km"], fallback=lambda r: 30.0, record_to=db_url)
    inputs = {"distance_km": 2.0, "prep_time_s": 600.0, "items": 2, "hour": 12, "weekday": 3, "city": "Lyon"}
    ids = [guard.predict(inputs).id for _ in range(200)]
    ids.append(guard.predict({**inputs, "prep_time_s": 600_000.0}).id)  # out of range: the fallback serves
    guard.close()
    store = Store.open(db_url)
    try:
        stored = {r.id: r for r in store.read_predictions("default", "eta", 0, 4e9, limit=1_000)}
    finally:
        store.close()
    assert set(stored) == set(ids)
    assert stored[ids[-1]].source != "model" and stored[ids[-1]].violations[0].field == "prep_time_s"
    assert stored[ids[0]].source == "model" and stored[ids[0]].output == 11.0
