"""Planner statistics kept current on PostgreSQL for the tables the write paths join by id.

A feedback batch looks up each id in ``tt_feedback`` and ``tt_predictions``, and a
prediction batch looks for labels waiting in ``tt_feedback``. PostgreSQL plans those joins
from column statistics. Autovacuum refreshes them only once a tenth of a table has
changed, and up to a minute later. A table that grows by thousands of rows a second is
therefore planned from statistics taken while it was small (a service's rows estimated
at one). The plans chosen then read the whole table for every batch, so a batch costs
more with every label stored: ``bench/feedback_join.py --n 100000`` spent 0.67 s per
prediction batch joining waiting labels, against 20 ms planned from current statistics.

So after a write, at most every ``CHECK_S`` seconds per store, the store asks how many
rows of each of ``TABLES`` changed since it was last analyzed. It analyzes a table when
that is more than the rows it had then (the table at least doubled, or was never
analyzed and has ``MIN_CHANGED`` rows). That is a handful of ANALYZE runs while a table
grows from nothing to millions, each a sample of at most 30,000 rows. A replica that
finds another analyzing the same table skips it (lock timeout), and tables the store's
database user does not own (a schema a DBA manages) are left to autovacuum. SQLite needs none of
this: it plans these joins as index probes whatever its statistics.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

TABLES = ("tt_predictions", "tt_feedback", "tt_feedback_events")
CHECK_S = 5.0  # how often a store looks, at most (a look is one catalog query)
MIN_CHANGED = 1000  # rows changed before a never-analyzed table is analyzed


class PlannerStats:
    """Refreshes the statistics of ``TABLES`` on a PostgreSQL store as they grow; no-op on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._on = engine.dialect.name == "postgresql"
        self._next = 0.0

    def after_write(self) -> list[str]:
        """Analyze the tables that outgrew their statistics, if it is time to look; return their names."""
        if not self._on or time.monotonic() < self._next:
            return []
        self._next = time.monotonic() + CHECK_S
        try:
            return self._refresh()
        except sa.exc.SQLAlchemyError as e:  # never fail the write that triggered the look
            log.warning("could not refresh planner statistics (%s); autovacuum still will", str(e).splitlines()[0])
            return []

    def _refresh(self) -> list[str]:
        done = []
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT s.relname, s.n_mod_since_analyze, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.schemaname = current_schema() AND s.relname = ANY(:names) "
                "AND pg_has_role(c.relowner, 'USAGE') "  # ANALYZE of a table another role owns only warns: leave it to autovacuum
                "ORDER BY s.relname"), {"names": list(TABLES)}).all()
            conn.rollback()
            for name, changed, tuples in rows:
                if changed < max(MIN_CHANGED, tuples):
                    continue
                try:
                    with conn.begin():
                        conn.execute(sa.text("SET LOCAL lock_timeout = '100ms'"))  # another replica is analyzing it: skip
                        conn.execute(sa.text(f'ANALYZE "{name}"'))
                    done.append(name)
                except sa.exc.OperationalError:
                    continue
        return done
