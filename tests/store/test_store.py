"""The store on both engines: tokens, services, idempotent writes, minute profiles, control."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from telltale.control import ControlState
from telltale.errors import StoreError
from telltale.spec import ServiceSpec
from telltale.store import Store, WriteResult
from telltale.types import PredictionRecord, Violation

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a minute boundary


def rec(i: int, ts: float, *, prep: float | None = 600.0, service: str = "eta", version: str | None = "v1") -> PredictionRecord:
    return PredictionRecord(
        id=f"r{i:06d}",
        service=service,
        ts=ts,
        inputs={"distance_km": 1.0 + i % 7, "prep_time_s": prep, "city": "Lyon" if i % 2 else "Paris"},
        output=20.0 + i % 5,
        confidence=0.9,
        source="model" if i % 4 else "rules",
        model_version=version,
        latency_ms=3.0,
        violations=[Violation("prep_time_s", "nulls", "is null")] if prep is None else [],
    )


@pytest.fixture
def store(db_url: str, clock) -> Store:
    s = Store.open(db_url, clock=clock)
    yield s
    s.close()


def test_open_migrates_once_and_reopens(db_url: str) -> None:
    Store.open(db_url).close()
    s = Store.open(db_url)  # a second open finds the schema at head and changes nothing
    try:
        with s._engine.connect() as conn:
            versions = set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        assert {"0002", "0003", "0004"} <= versions and versions == _heads()  # every head once, whatever branches were merged
    finally:
        s.close()


def _heads() -> set[str]:
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import telltale.store

    return set(ScriptDirectory(str(Path(telltale.store.__file__).with_name("migrations"))).get_heads())


def test_sqlite_connections_checkpoint_every_50000_pages_and_trim_the_wal(sqlite_url: str) -> None:
    """What bench/feedback_join.py measured the store with (store/engine.py): set on every
    pooled connection, since SQLite keeps these per connection, not in the file."""
    s = Store.open(sqlite_url)
    try:
        with s._engine.connect() as conn:
            got = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                   ("journal_mode", "synchronous", "wal_autocheckpoint", "journal_size_limit", "cache_size")}
    finally:
        s.close()
    assert got == {"journal_mode": "wal", "synchronous": 1, "wal_autocheckpoint": 50000, "journal_size_limit": 64 * 2**20,
                   "cache_size": -32768}


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="supports sqlite"):
        Store.open("mysql://x@localhost/db")


def test_tokens_map_to_their_project_and_are_stored_hashed(store: Store, db_url: str, tmp_path) -> None:
    a, b = store.create_token("alpha"), store.create_token("beta")
    assert a != b and a.startswith("tt_") and len(a) > 40
    assert store.project_for_token(a) == "alpha"
    assert store.project_for_token(b) == "beta"
    assert store.project_for_token(a[:-1] + ("x" if a[-1] != "x" else "y")) is None
    assert store.project_for_token("") is None and store.project_for_token(None) is None
    assert store.count_tokens("alpha") == 1 and store.count_tokens("gamma") == 0
    dump = _dump(store)
    assert a not in dump and b not in dump
    assert a[3:20] not in dump  # not even a fragment of the secret part
    if db_url.startswith("sqlite"):
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("telltale.db*"))
        assert a.encode() not in raw and a[3:20].encode() not in raw


def test_services_round_trip_and_stay_in_their_project(store: Store, eta_spec: ServiceSpec) -> None:
    store.put_service("alpha", eta_spec)
    assert store.get_service("alpha", "eta") == eta_spec
    assert store.get_service("beta", "eta") is None
    assert store.list_services("beta") == []
    newer = eta_spec.model_copy(update={"model_version": "2026-12-01"})
    store.put_service("alpha", newer)
    assert [s.model_version for s in store.list_services("alpha")] == ["2026-12-01"]


def test_write_is_idempotent_by_record_id(store: Store) -> None:
    records = [rec(i, T0 + i) for i in range(100)]
    assert store.write_predictions("p", records) == WriteResult(100, 0)
    assert store.write_predictions("p", records) == WriteResult(0, 100)
    mixed = records[50:] + [rec(i, T0 + i) for i in range(100, 150)]
    assert store.write_predictions("p", mixed) == WriteResult(50, 50)
    repeated = [rec(200, T0), rec(200, T0), rec(201, T0)]
    assert store.write_predictions("p", repeated) == WriteResult(2, 1)
    assert store.count_predictions("p", "eta") == 152
    assert store.count_predictions("other", "eta") == 0  # same ids, other project: separate
    assert store.write_predictions("other", records[:10]) == WriteResult(10, 0)


def test_read_predictions_returns_what_was_written(store: Store) -> None:
    records = [rec(i, T0 + i, prep=None if i == 3 else 600.0) for i in range(20)]
    store.write_predictions("p", list(reversed(records)))
    got = store.read_predictions("p", "eta", T0 + 2, T0 + 12, limit=5)
    assert [r.to_dict() for r in got] == [r.to_dict() for r in records[2:7]]
    assert got[1].violations == [Violation("prep_time_s", "nulls", "is null")]
    assert len(store.read_predictions("p", "eta", T0, T0 + 100)) == 20
    assert store.read_predictions("p", "eta", T0 + 20, T0 + 100) == []
    assert store.read_predictions("q", "eta", T0, T0 + 100) == []


def test_review_queue_is_the_records_served_by_review(store: Store) -> None:
    records = [rec(i, T0 + i) for i in range(8)]  # rec() serves every 4th by rules
    for r in records[5:7]:
        r.source = "review"
    store.write_predictions("p", records)
    assert [r.id for r in store.read_predictions("p", "eta", T0, T0 + 60, source="review")] == ["r000005", "r000006"]
    assert [r.id for r in store.read_predictions("p", "eta", T0, T0 + 60, source="rules")] == ["r000000", "r000004"]


def test_a_nan_input_from_an_in_process_guard_is_kept(store: Store) -> None:
    r = rec(1, T0, prep=float("nan"))
    store.write_predictions("p", [r])
    (back,) = store.read_predictions("p", "eta", T0, T0 + 1)
    assert math.isnan(back.inputs["prep_time_s"])


def test_minute_profiles_count_each_record_once_across_replays(store: Store, eta_spec: ServiceSpec) -> None:
    store.put_service("p", eta_spec)
    rng = np.random.default_rng(7)
    preps = rng.uniform(100, 3000, size=300)
    records = [rec(i, T0 + i * 0.5, prep=float(preps[i])) for i in range(300)]  # 150 s: minutes 0, 1, 2
    for start in range(0, 300, 40):
        store.write_predictions("p", records[start:start + 40])
    store.write_predictions("p", records[::3])  # a replay of a third of the stream
    store.write_predictions("p", records[100:250])  # and of a span crossing minute edges

    whole = store.read_profile("p", "eta", T0, T0 + 3600)
    assert whole is not None and whole.n == 300
    prep = whole.fields["prep_time_s"].numeric
    assert prep.count == 300
    assert prep.mean == pytest.approx(float(np.mean(preps)), rel=1e-9)
    assert prep.min == pytest.approx(float(preps.min())) and prep.max == pytest.approx(float(preps.max()))
    assert whole.sources == {"model": 225, "rules": 75}

    first_minute = store.read_profile("p", "eta", T0, T0 + 60)  # records 0..119
    assert first_minute is not None and first_minute.n == 120
    assert first_minute.fields["prep_time_s"].numeric.mean == pytest.approx(float(np.mean(preps[:120])), rel=1e-9)
    assert store.read_profile("p", "eta", T0 + 60, T0 + 120).n == 120
    assert store.read_profile("p", "eta", T0 + 3600, T0 + 7200) is None
    assert store.read_profile("other", "eta", T0, T0 + 3600) is None


def test_profiles_are_kept_per_model_version(store: Store) -> None:
    store.write_predictions("p", [rec(i, T0 + i, version="v1") for i in range(10)])
    store.write_predictions("p", [rec(i, T0 + i, version="v2") for i in range(10, 14)])
    store.write_predictions("p", [rec(i, T0 + i, version=None) for i in range(14, 15)])
    assert store.read_profile("p", "eta", T0, T0 + 60).n == 15
    assert store.read_profile("p", "eta", T0, T0 + 60, model_version="v2").n == 4
    assert store.read_profile("p", "eta", T0, T0 + 60, model_version="").n == 1


def test_shadow_records_are_stored_but_kept_out_of_profiles(store: Store) -> None:
    served = [rec(i, T0 + i) for i in range(6)]
    shadows = [PredictionRecord(id=f"{r.id}.shadow", service="eta", ts=r.ts, inputs=r.inputs, output=99.0, source="shadow", model_version="v2") for r in served]
    assert store.write_predictions("p", served + shadows) == WriteResult(inserted=12, duplicates=0)
    assert store.count_predictions("p", "eta") == 12
    p = store.read_profile("p", "eta", T0, T0 + 60)
    assert p.n == 6 and "shadow" not in p.sources


def test_violations_are_profiled(store: Store, eta_spec: ServiceSpec) -> None:
    store.put_service("p", eta_spec)
    store.write_predictions("p", [rec(i, T0, prep=None if i < 3 else 600.0) for i in range(10)])
    p = store.read_profile("p", "eta", T0, T0 + 60)
    assert p.violations == {("prep_time_s", "nulls"): 3}
    assert p.fields["prep_time_s"].nulls == 3


def test_concurrent_writers_merge_into_one_minute(store: Store, db_url: str, clock) -> None:
    """Four writers (each its own Store, like replicas) hit the same minute, with overlaps."""
    records = [rec(i, T0 + (i % 60)) for i in range(400)]
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        s = Store.open(db_url, clock=clock)
        try:
            mine = records[k * 100:(k + 1) * 100] + records[((k + 1) % 4) * 100:((k + 1) % 4) * 100 + 30]
            for start in range(0, len(mine), 13):
                s.write_predictions("p", mine[start:start + 13])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_predictions("p", "eta") == 400
    p = store.read_profile("p", "eta", T0, T0 + 60)
    assert p is not None and p.n == 400
    assert p.fields["distance_km"].numeric.count == 400


def test_reference_round_trip(store: Store, eta_spec: ServiceSpec) -> None:
    from telltale.profile import Profile

    ref = Profile.from_records(eta_spec, [rec(i, T0) for i in range(50)])
    assert store.get_reference("p", "eta") is None
    store.put_reference("p", "eta", ref)
    back = store.get_reference("p", "eta")
    assert back is not None and back.n == 50
    assert back.fields["distance_km"].numeric.mean == pytest.approx(ref.fields["distance_km"].numeric.mean)
    assert store.get_reference("q", "eta") is None


def test_control_defaults_to_normal_and_is_per_project(store: Store) -> None:
    assert store.get_control("p", "eta") == ControlState()
    store.set_control("p", "eta", ControlState("fallback", "unit change on prep_time_s", T0))
    assert store.get_control("p", "eta") == ControlState("fallback", "unit change on prep_time_s", T0)
    assert store.get_control("q", "eta").mode == "normal"
    store.set_control("p", "eta", ControlState("normal", "fixed upstream", T0 + 60))
    assert store.get_control("p", "eta").reason == "fixed upstream"


def test_bad_records_are_refused_naming_the_id(store: Store) -> None:
    with pytest.raises(ValueError, match="record id must be a non-empty string"):
        store.write_predictions("p", [PredictionRecord(id="", service="eta", ts=T0, inputs={})])
    with pytest.raises(ValueError, match="'x'.*ts must be a finite number"):
        store.write_predictions("p", [PredictionRecord(id="x", service="eta", ts=float("inf"), inputs={})])
    assert store.count_predictions("p", "eta") == 0


def _heads() -> set[str]:
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import telltale.store.engine as engine

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(engine.__file__).with_name("migrations")))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def _dump(store: Store) -> str:
    """Every value of every telltale table, as text."""
    from telltale.store.schema import metadata

    out = []
    with store._engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                out.extend(repr(v) for v in row)
    return "\n".join(out)
