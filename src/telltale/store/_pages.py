"""Keyset paging over stored predictions: ``(ts, id)`` after the last row of the previous page.

A cursor is opaque to clients (URL-safe base64 of ``[ts, id]``); unlike an offset it
stays right while new records arrive, and each page costs the same however deep it is
(the ``(project, service, ts)`` index, then ``id`` to break ties).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store import _json
from telltale.store.schema import predictions
from telltale.types import PredictionRecord


@dataclass(frozen=True, slots=True)
class Page:
    records: list[PredictionRecord]
    next_cursor: str | None  # None on the last page


def encode_cursor(ts: float, rid: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([ts, rid], separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """(ts, id) of a cursor; ValueError naming the fix when it is not one of ours."""
    try:
        ts, rid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(ts), str(rid)
    except (ValueError, TypeError) as e:
        raise ValueError(f"cursor {cursor[:40]!r} is not a cursor this server gave; pass next_cursor from the previous page unchanged") from e


def page(conn: Connection, project: str, service: str, since: float, until: float, limit: int,
         after: tuple[float, str] | None = None, source: str | None = None) -> Page:
    p = predictions.c
    q = sa.select(p.ts, p.id, p.payload).where(p.project == project, p.service == service, p.ts >= since, p.ts < until)
    if source is not None:
        q = q.where(p.source == source)
    if after is not None:
        ts, rid = after
        q = q.where(sa.or_(p.ts > ts, sa.and_(p.ts == ts, p.id > rid)))
    rows = list(conn.execute(q.order_by(p.ts, p.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    records = [PredictionRecord.from_dict(_json.loads(t)) for _, _, t in rows]
    nxt = encode_cursor(float(rows[-1].ts), rows[-1].id) if more and rows else None
    return Page(records, nxt)
