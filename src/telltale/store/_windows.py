"""Reads of minute profiles the monitor needs beyond ``read_minutes``: which minutes late
records changed, and a window's profile per model version (for canaries)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store.schema import minute_profiles

if TYPE_CHECKING:
    from telltale.profile import Profile


def profile_updates(conn: Connection, project: str, service: str, after: float, before: float) -> tuple[float | None, list[int]]:
    """(newest ``updated_at`` of the service, distinct minutes < ``before`` updated after ``after``), on one index."""
    m = minute_profiles.c
    scope = sa.and_(m.project == project, m.service == service)
    newest = conn.execute(sa.select(sa.func.max(m.updated_at)).where(scope)).scalar_one_or_none()
    q = sa.select(m.minute).where(scope, m.updated_at > after, m.minute < before).distinct().order_by(m.minute)
    return (None if newest is None else float(newest)), [int(x) for x in conn.execute(q).scalars()]


def version_profiles(conn: Connection, project: str, service: str, since: float, until: float) -> dict[str, Profile]:
    """The merge of [since, until)'s minute profiles per model version, in minute order."""
    from telltale.profile import Profile

    m = minute_profiles.c
    q = (sa.select(m.model_version, m.data)
         .where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until, m.data.is_not(None))
         .order_by(m.model_version, m.minute))
    out: dict[str, Profile] = {}
    for version, blob in conn.execute(q):
        p = Profile.from_bytes(bytes(blob))
        out[version] = out[version].merge(p) if version in out else p
    return out


def minute_rows(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[int, str, float | None, bytes]]:
    """(minute, model_version, updated_at, data) of the minutes in [since, until), in ``read_minutes``' order."""
    m = minute_profiles.c
    q = (sa.select(m.minute, m.model_version, m.updated_at, m.data)
         .where(m.project == project, m.service == service, m.minute >= math.ceil(since), m.minute < until, m.data.is_not(None))
         .order_by(m.minute, m.model_version))
    return [(int(r.minute), r.model_version, r.updated_at, bytes(r.data)) for r in conn.execute(q)]
