"""Aggregates ``/metrics`` reads from the store at scrape time: small GROUP BY queries over
tables whose size follows findings and deliveries, never traffic."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from telltale.store.schema import alert_deliveries, findings


@dataclass(frozen=True, slots=True)
class OpenFindings:
    """How many stored findings are open for one (project, service, kind, severity)."""

    project: str
    service: str
    kind: str
    severity: str
    count: int


@dataclass(frozen=True, slots=True)
class Deliveries:
    """How many delivery attempts one receiver made with one outcome (ok, failed, ...)."""

    project: str
    service: str
    receiver: str
    status: str
    count: int


def open_findings(conn: Connection) -> list[OpenFindings]:
    f = findings.c
    q = (sa.select(f.project, f.service, f.kind, f.severity, sa.func.count())
         .where(f.resolved.is_(None))
         .group_by(f.project, f.service, f.kind, f.severity)
         .order_by(f.project, f.service, f.kind, f.severity))
    return [OpenFindings(p, s, k, sev, int(n)) for p, s, k, sev, n in conn.execute(q)]


def deliveries(conn: Connection) -> list[Deliveries]:
    d = alert_deliveries.c
    q = (sa.select(d.project, d.service, d.receiver, d.status, sa.func.count())
         .group_by(d.project, d.service, d.receiver, d.status)
         .order_by(d.project, d.service, d.receiver, d.status))
    return [Deliveries(p, s, r, st, int(n)) for p, s, r, st, n in conn.execute(q)]
