"""PostgreSQL: the tables the write paths join by id are analyzed once they outgrow their statistics."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from telltale.feedback import FeedbackEvent
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

pytestmark = pytest.mark.postgres

T0 = 1_767_225_600.0
SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n")


def _recs(lo: int, hi: int) -> list[PredictionRecord]:
    return [PredictionRecord(id=f"r{i}", service="churn", ts=T0 + i, inputs={"x": float(i)}, output="stay", confidence=0.8)
            for i in range(lo, hi)]


class _Catalog:
    """What PostgreSQL's statistics views say of a table, read on a connection of the test's own."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def row(self, table: str) -> tuple[int, float, object]:
        got = self.conn.execute("SELECT s.n_mod_since_analyze, c.reltuples, s.last_analyze FROM pg_stat_user_tables s "
                                "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s", (table,)).fetchone()
        assert got is not None, table
        return int(got[0]), float(got[1]), got[2]

    def wait_changed(self, table: str, at_least: int, store: Store) -> None:
        """Until the rows changed since the last analyze show in the view. A backend reports its
        counts when idle, up to 10 s later, or when it exits: closing the store's pooled
        connections makes them show at once (the store reconnects when next used)."""
        store._engine.dispose()
        deadline = time.monotonic() + 30
        while self.row(table)[0] < at_least:
            assert time.monotonic() < deadline, f"{table}: the statistics view never showed {at_least} changed rows"
            time.sleep(0.2)


def test_tables_are_analyzed_once_they_outgrow_their_statistics_and_not_before(pg_url: str) -> None:
    store = Store.open(pg_url)
    cat = _Catalog(pg_url)
    try:
        for table in ("tt_predictions", "tt_feedback", "tt_feedback_events"):  # only this store's ANALYZE may run
            cat.conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        store.put_service("p", SPEC)
        stats = store._planner_stats

        def look() -> list[str]:
            """Look now, and let no write look on its own until the next call (CHECK_S would let some)."""
            stats._next = 0.0
            done = stats.after_write()
            stats._next = time.monotonic() + 3600
            return done

        stats._next = time.monotonic() + 3600
        store.write_predictions("p", _recs(0, 1500))  # never analyzed, and past MIN_CHANGED (1,000)
        cat.wait_changed("tt_predictions", 1500, store)
        assert look() == ["tt_predictions"]
        changed, tuples, analyzed_at = cat.row("tt_predictions")
        assert analyzed_at is not None and tuples == 1500 and changed == 0  # a table this small is sampled whole

        store.write_predictions("p", _recs(1500, 2400))  # 900 more: the table has not doubled
        cat.wait_changed("tt_predictions", 900, store)
        assert look() == []
        assert cat.row("tt_predictions") == (900, 1500.0, analyzed_at)

        store.write_predictions("p", _recs(2400, 3100))  # 1,600 changed since 1,500 were analyzed: doubled
        cat.wait_changed("tt_predictions", 1600, store)
        assert look() == ["tt_predictions"]
        assert cat.row("tt_predictions")[:2] == (0, 3100.0)

        store.write_feedback("p", [FeedbackEvent(f"r{i}", "churn", T0 + 7200, label="stay") for i in range(1200)])
        cat.wait_changed("tt_feedback", 1200, store)
        cat.wait_changed("tt_feedback_events", 1200, store)
        assert look() == ["tt_feedback", "tt_feedback_events"]
        assert cat.row("tt_feedback")[:2] == (0, 1200.0) and cat.row("tt_feedback_events")[:2] == (0, 1200.0)
    finally:
        cat.conn.close()
        store.close()


def test_a_store_looks_at_most_every_check_interval(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        store.put_service("p", SPEC)
        stats = store._planner_stats
        stats._next = time.monotonic() + 60  # looked a moment ago
        store.write_predictions("p", _recs(0, 1500))
        assert stats.after_write() == []  # not time to look: no catalog query, no ANALYZE
        with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            assert conn.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'tt_predictions'").fetchone() == (None,)
    finally:
        store.close()


def test_tables_another_role_owns_are_left_to_autovacuum(pg_url: str) -> None:
    """A store whose user may write the tables but does not own them (a DBA's schema) never
    issues an ANALYZE that PostgreSQL would only answer with a warning."""
    Store.open(pg_url).close()  # the tables, owned by the test's user
    app = f"tt_app_{uuid.uuid4().hex[:8]}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {app} LOGIN")
        admin.execute(f"GRANT ALL ON SCHEMA public TO {app}")
        admin.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {app}")
        admin.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {app}")
    rest = pg_url.partition("@")[2]
    store = Store.open(f"postgresql+psycopg://{app}@{rest}")
    cat = _Catalog(pg_url)
    try:
        store.put_service("p", SPEC)
        store._planner_stats._next = time.monotonic() + 3600
        store.write_predictions("p", _recs(0, 1500))
        cat.wait_changed("tt_predictions", 1500, store)
        store._planner_stats._next = 0.0
        assert store._planner_stats.after_write() == []
        assert cat.row("tt_predictions")[2] is None  # never analyzed
    finally:
        store.close()
        cat.conn.close()
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {app}")
            admin.execute(f"DROP ROLE {app}")
