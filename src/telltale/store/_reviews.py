"""The human-review queue: decisions routed to review, plus a sample of low-confidence ones.

Items are enqueued as their predictions are stored (same transaction, once per id). A
reviewer claims the oldest open items; a claim lapses after ``review.claim_s`` so an
abandoned one returns to the queue. Deciding writes the reviewer's verdict as feedback
(actor = the reviewer) in the same transaction, so the label joins like any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store._sql import insert_ignore
from telltale.store.schema import predictions, reviews
from telltale.types import PredictionRecord

if TYPE_CHECKING:
    from telltale.spec import ServiceSpec

SpecLookup = Callable[[Connection, str], "ServiceSpec | None"]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    service: str
    prediction_id: str
    ts: float
    reason: str  # "review" (routed by the guard) or "low_confidence" (sampled)
    confidence: float | None
    claimed_by: str | None
    claimed_at: float | None
    decided_at: float | None
    record: PredictionRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "id": self.prediction_id, "ts": self.ts, "reason": self.reason, "confidence": self.confidence,
                "claimed_by": self.claimed_by, "claimed_at": self.claimed_at, "decided_at": self.decided_at,
                "record": self.record.to_dict() if self.record is not None else None}


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Open items (not decided), how long the oldest has waited, and how many are claimed."""

    size: int
    oldest_age_s: float | None
    claimed: int

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "oldest_age_s": self.oldest_age_s, "claimed": self.claimed}


class ReviewConflict(ValueError):
    """The item is claimed by another reviewer, already decided, or not in the queue."""


def sampled(prediction_id: str, share: float) -> bool:
    """A deterministic ``share`` of ids: the same id is always in or always out."""
    if share >= 1.0:
        return True
    h = int.from_bytes(hashlib.blake2b(prediction_id.encode(), digest_size=8).digest(), "big")
    return h / 2.0**64 < share


def enqueue(conn: Connection, project: str, records: Sequence[PredictionRecord], spec_for: SpecLookup) -> int:
    specs: dict[str, Any] = {}
    rows = []
    for r in records:
        if r.service not in specs:
            specs[r.service] = spec_for(conn, r.service)
        spec = specs[r.service]
        low = spec.review.low_confidence if spec is not None else None
        if r.source == "review":
            reason = "review"
        elif (low is not None and r.source in ("model", "canary") and r.confidence is not None and r.confidence < low
              and sampled(r.id, spec.review.sample)):
            reason = "low_confidence"
        else:
            continue
        rows.append({"project": project, "service": r.service, "prediction_id": r.id, "ts": float(r.ts), "reason": reason,
                     "confidence": r.confidence, "claimed_by": None, "claimed_at": None, "decided_at": None})
    if rows:
        conn.execute(insert_ignore(conn, reviews, ("project", "service", "prediction_id")), rows)
    return len(rows)


def list_items(conn: Connection, project: str, service: str, state: str, limit: int) -> list[ReviewItem]:
    v = reviews.c
    q = sa.select(reviews).where(v.project == project, v.service == service)
    if state == "open":
        q = q.where(v.decided_at.is_(None))
    elif state == "decided":
        q = q.where(v.decided_at.is_not(None))
    elif state != "all":
        raise ValueError(f"state must be open, decided or all, got {state!r}")
    rows = list(conn.execute(q.order_by(v.ts, v.prediction_id).limit(limit)))
    return _items(conn, project, service, rows)


def claim(conn: Connection, project: str, service: str, reviewer: str, n: int, now: float, claim_s: float) -> list[ReviewItem]:
    """Claim up to ``n`` of the oldest open items that nobody holds (or whose claim lapsed)."""
    v = reviews.c
    free = sa.or_(v.claimed_by.is_(None), v.claimed_at < now - claim_s, v.claimed_by == reviewer)
    q = (sa.select(v.prediction_id).where(v.project == project, v.service == service, v.decided_at.is_(None), free)
         .order_by(v.ts, v.prediction_id).limit(n))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)  # two reviewers claiming at once get different items
    ids = list(conn.execute(q).scalars())
    if ids:
        conn.execute(reviews.update().where(v.project == project, v.service == service, v.prediction_id.in_(ids))
                     .values(claimed_by=reviewer, claimed_at=now))
    rows = list(conn.execute(sa.select(reviews).where(v.project == project, v.service == service, v.prediction_id.in_(ids)).order_by(v.ts, v.prediction_id)))
    return _items(conn, project, service, rows)


def mark_decided(conn: Connection, project: str, service: str, prediction_id: str, reviewer: str, now: float, claim_s: float) -> None:
    """Close the item for ``reviewer``; ReviewConflict when someone else holds it, or it is gone."""
    v = reviews.c
    where = sa.and_(v.project == project, v.service == service, v.prediction_id == prediction_id)
    row = conn.execute(sa.select(v.claimed_by, v.claimed_at, v.decided_at).where(where).with_for_update()).one_or_none()
    if row is None:
        raise ReviewConflict(f"decision {prediction_id!r} of service {service!r} is not in the review queue")
    if row.decided_at is not None:
        raise ReviewConflict(f"decision {prediction_id!r} was already reviewed; send feedback to change its label")
    if row.claimed_by not in (None, reviewer) and row.claimed_at is not None and row.claimed_at >= now - claim_s:
        raise ReviewConflict(f"decision {prediction_id!r} is claimed by {row.claimed_by!r} until their claim lapses")
    conn.execute(reviews.update().where(where).values(decided_at=now, claimed_by=reviewer, claimed_at=row.claimed_at or now))


def stats(conn: Connection, project: str, service: str, now: float, claim_s: float) -> QueueStats:
    v = reviews.c
    base = sa.and_(v.project == project, v.service == service, v.decided_at.is_(None))
    size, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(v.ts)).where(base)).one()
    claimed = conn.execute(sa.select(sa.func.count()).where(base, v.claimed_by.is_not(None), v.claimed_at >= now - claim_s)).scalar_one()
    return QueueStats(int(size), (now - float(oldest)) if oldest is not None else None, int(claimed))


def _items(conn: Connection, project: str, service: str, rows: list[Any]) -> list[ReviewItem]:
    from telltale.store import _json

    ids = [r.prediction_id for r in rows]
    p = predictions.c
    payloads = {pid: PredictionRecord.from_dict(_json.loads(t)) for pid, t in
                conn.execute(sa.select(p.id, p.payload).where(p.project == project, p.service == service, p.id.in_(ids)))} if ids else {}
    return [ReviewItem(service, r.prediction_id, r.ts, r.reason, r.confidence, r.claimed_by, r.claimed_at, r.decided_at,
                       payloads.get(r.prediction_id)) for r in rows]
