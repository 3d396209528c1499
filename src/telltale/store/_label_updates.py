"""Minutes of prediction time whose labels changed since the monitor last judged them.

The feedback write path marks every minute whose ``tt_perf_minutes`` row it changes
(same transaction), bumping the row's ``version``. The monitor reads the marks, judges
the windows holding them again, and clears each mark in the transaction that stores the
verdicts, only at the version it read: a label folded while it was judging keeps its
mark for the next tick. So labels that arrive hours or weeks late change the verdict on
the windows their predictions belong to (``monitor.tick``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from telltale.store._bulk import many, query


@dataclass(frozen=True, slots=True)
class LabelMark:
    """A minute of prediction time whose labels changed, at the version the reader saw."""

    minute: int
    version: int


def mark(conn: Connection, project: str, service: str, minutes: Sequence[int], now: float) -> None:
    many(conn, "INSERT INTO tt_label_updates (project, service, minute, version, updated_at) VALUES (?, ?, ?, 1, ?) "
               "ON CONFLICT (project, service, minute) DO UPDATE SET version = tt_label_updates.version + 1, "
               "updated_at = excluded.updated_at", [(project, service, int(m), now) for m in minutes])


def marks(conn: Connection, project: str, service: str, before: float) -> list[LabelMark]:
    """The marks of ``service`` for minutes before ``before``, oldest minute first."""
    rows = query(conn, "SELECT minute, version FROM tt_label_updates WHERE project = ? AND service = ? AND minute < ? ORDER BY minute",
                 (project, service, before))
    return [LabelMark(int(m), int(v)) for m, v in rows]


def clear(conn: Connection, project: str, service: str, done: Sequence[LabelMark]) -> None:
    """Remove the marks in ``done`` that nothing changed since they were read."""
    many(conn, "DELETE FROM tt_label_updates WHERE project = ? AND service = ? AND minute = ? AND version = ?",
         [(project, service, d.minute, d.version) for d in done])
