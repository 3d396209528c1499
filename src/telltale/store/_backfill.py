"""Backfilled minute profiles: past traffic written into ``tt_minute_profiles``.

Each minute goes through the same merge as live records (``_records.merge_minute``),
one transaction per chunk of minutes. A second backfill of the same minutes would count
their rows twice, so ``overlap`` is read first and the write refused unless the caller
asks to merge. Backfilled rows are stamped ``updated_at = NULL`` (as rows written before
migration 0003 are): the live monitor judges windows again only for rows its clock
stamped, so a month of backfill never lands on a tick; ``findings_for`` (``telltale
findings --window``) judges any past span from the rows whatever their stamp. Each write
checks again under the row's lock, so two backfills of the same minutes at the same
moment stop instead of counting twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.errors import TelltaleError
from telltale.store._records import merge_minute
from telltale.store.schema import minute_profiles

if TYPE_CHECKING:
    from telltale.engines.minutes import MinuteProfile

#: Minutes written per transaction: a few seconds of work, so a failure loses little and locks stay short.
CHUNK_MINUTES = 500


class BackfillOverlap(TelltaleError, ValueError):
    """Some target minutes already hold profiles and the caller did not ask to merge."""

    def __init__(self, service: str, count: int, first: int) -> None:
        self.count, self.first = count, first
        when = datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%dT%H:%MZ")
        super().__init__(f"{count} minute(s) of service {service!r} already hold profiles, the first {when}; "
                         "writing them again would count their rows twice: pass --merge to add to them anyway")


@dataclass(frozen=True, slots=True)
class Overlap:
    """How many of the target (minute, model version) rows already hold a profile, and the earliest."""

    count: int
    first: int | None


def overlap(conn: Connection, project: str, service: str, minutes: Sequence[MinuteProfile]) -> Overlap:
    if not minutes:
        return Overlap(0, None)
    wanted = {(m.minute, m.model_version) for m in minutes}
    lo, hi = min(k[0] for k in wanted), max(k[0] for k in wanted)
    c = minute_profiles.c
    q = sa.select(c.minute, c.model_version).where(c.project == project, c.service == service, c.minute >= lo,
                                                  c.minute <= hi, c.data.is_not(None))
    held = sorted(k for k in ((int(r.minute), r.model_version) for r in conn.execute(q)) if k in wanted)
    return Overlap(len(held), held[0][0] if held else None)


class BackfillRace(TelltaleError, RuntimeError):
    """A target minute gained a profile between the overlap check and its write."""


def write(conn: Connection, project: str, service: str, minutes: Sequence[MinuteProfile], *, merge: bool, written: int,
          total: int) -> int:
    """Merge ``minutes`` into their rows in key order (the order every writer locks in);
    rows written. Without ``merge``, a row that gained a profile since the overlap check
    (another writer at the same moment) raises ``BackfillRace`` under the row's lock, and
    the chunk rolls back; ``written`` of ``total`` minutes were committed before it."""
    for m in sorted(minutes, key=lambda m: (m.model_version, m.minute)):
        before = merge_minute(conn, project, service, m.model_version, m.minute, m.data, m.n, None)
        if before and not merge:
            when = datetime.fromtimestamp(m.minute, UTC).strftime("%Y-%m-%dT%H:%MZ")
            raise BackfillRace(f"minute {when} of service {service!r} was written by another writer during this backfill; "
                               f"stopped with {written} of {total} minutes written (their rows are stored once)")
    return sum(m.n for m in minutes)


def chunks(minutes: Sequence[MinuteProfile], size: int = CHUNK_MINUTES) -> list[Sequence[MinuteProfile]]:
    return [minutes[i:i + size] for i in range(0, len(minutes), size)]

