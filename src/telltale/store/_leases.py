"""Leases: a named row saying which holder may do some work, and until when.

Several ``telltale serve`` replicas share one store; the background jobs (monitor,
policy, alert outbox) must run on one of them at a time. A lease is one row in
``tt_leases`` with its holder and an expiry. Taking it is one conditional upsert:
insert the row, or overwrite it only when it is ours already or has expired. The
database decides between two replicas racing for it (a primary-key conflict on insert,
a row lock on update, re-checked after the wait under PostgreSQL's READ COMMITTED), so
exactly one gets ``True``. Expiry makes takeover timing explicit: a holder that dies
without releasing (SIGKILL) is replaced ``ttl_s`` after its last renewal at most.

Times are the callers' clocks (``now``); replicas must agree on the time to well within
the lease's ttl (NTP does: milliseconds against seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store._sql import dialect_insert
from telltale.store.schema import leases

#: Longest lease name and holder the table keeps.
MAX_NAME_LEN = 128
MAX_HOLDER_LEN = 200


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds lease ``name``: since when, until when, and how many times it moved."""

    name: str
    holder: str
    acquired_at: float
    expires_at: float
    moves: int

    def held(self, now: float) -> bool:
        return now < self.expires_at


def _check(name: str, holder: str, ttl_s: float) -> None:
    if not 0 < len(name) <= MAX_NAME_LEN:
        raise ValueError(f"lease name must be 1 to {MAX_NAME_LEN} characters, got {name!r}")
    if not 0 < len(holder) <= MAX_HOLDER_LEN:
        raise ValueError(f"lease holder must be 1 to {MAX_HOLDER_LEN} characters, got {holder!r}")
    if not ttl_s > 0:
        raise ValueError(f"lease {name!r}: ttl_s must be > 0 seconds, got {ttl_s}")


def acquire(conn: Connection, name: str, holder: str, ttl_s: float, now: float) -> bool:
    """Take (or keep) lease ``name`` for ``holder`` until ``now + ttl_s``; False while
    another holder's lease has not expired. Taking an expired lease counts a move."""
    _check(name, holder, ttl_s)
    c = leases.c
    stmt = dialect_insert(conn, leases).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl_s, moves=0)
    mine = c.holder == stmt.excluded.holder
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={
            "holder": stmt.excluded.holder,
            "expires_at": stmt.excluded.expires_at,
            "acquired_at": sa.case((mine, c.acquired_at), else_=stmt.excluded.acquired_at),
            "moves": sa.case((mine, c.moves), else_=c.moves + 1),
        },
        where=sa.or_(mine, c.expires_at <= stmt.excluded.acquired_at),
    ).returning(c.holder)  # a row back only when inserted or updated (rowcount is unreliable for upserts)
    return conn.execute(stmt).first() is not None


def renew(conn: Connection, name: str, holder: str, ttl_s: float, now: float) -> bool:
    """Extend ``holder``'s unexpired lease to ``now + ttl_s``; False when it expired or is another's."""
    _check(name, holder, ttl_s)
    c = leases.c
    res = conn.execute(leases.update().where(c.name == name, c.holder == holder, c.expires_at > now)
                       .values(expires_at=now + ttl_s))
    return res.rowcount == 1


def release(conn: Connection, name: str, holder: str, now: float) -> bool:
    """Give lease ``name`` up at once (a clean shutdown), so another holder need not wait
    for its expiry; False when ``holder`` did not hold it."""
    c = leases.c
    res = conn.execute(leases.update().where(c.name == name, c.holder == holder, c.expires_at > now)
                       .values(expires_at=now))
    return res.rowcount == 1


def get(conn: Connection, name: str) -> Lease | None:
    """The lease's row (held or expired), or None if nobody ever took it."""
    c = leases.c
    r = conn.execute(sa.select(c.name, c.holder, c.acquired_at, c.expires_at, c.moves).where(c.name == name)).one_or_none()
    return None if r is None else Lease(r.name, r.holder, float(r.acquired_at), float(r.expires_at), int(r.moves))
