"""Issue 10, item 8: record ids are unique per service, not per project (migration 0002)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import telltale.store
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0


def test_the_same_id_in_two_services_is_two_records(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        for name in ("eta", "eta-eu"):
            store.put_service("p", parse_spec(f"service: {name}\nowner: me\ninputs:\n  x: {{type: float}}\n"))
        a = PredictionRecord("order-17", "eta", T0, {"x": 1.0})
        b = PredictionRecord("order-17", "eta-eu", T0, {"x": 2.0})
        assert store.write_predictions("p", [a]).inserted == 1
        res = store.write_predictions("p", [b, a])
        assert (res.inserted, res.duplicates) == (1, 1)
        assert [r.inputs for r in store.read_predictions("p", "eta-eu", 0, 4e9)] == [{"x": 2.0}]
        assert [r.inputs for r in store.read_predictions("p", "eta", 0, 4e9)] == [{"x": 1.0}]
        assert store.read_profile("p", "eta-eu", T0 - 60, T0 + 60).n == 1  # profiled in its own service
    finally:
        store.close()


def test_migration_0002_keeps_the_rows_of_a_0001_database(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(telltale.store.__file__).with_name("migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(sa.text(
            "INSERT INTO tt_predictions (project, id, service, ts, model_version, source, n_violations, payload) "
            "VALUES ('p', 'r1', 'eta', :ts, NULL, 'model', 0, :payload)"),
            {"ts": T0, "payload": json.dumps(PredictionRecord("r1", "eta", T0, {"x": 1.0}).to_dict())})
    engine.dispose()
    store = Store.open(db_url)  # upgrades to every head, 0002 included
    try:
        assert [r.id for r in store.read_predictions("p", "eta", 0, 4e9)] == ["r1"]
        pk = sa.inspect(store._engine).get_pk_constraint("tt_predictions")
        assert pk["constrained_columns"] == ["project", "service", "id"]
        assert store.write_predictions("p", [PredictionRecord("r1", "other", T0, {})]).inserted == 1
    finally:
        store.close()
