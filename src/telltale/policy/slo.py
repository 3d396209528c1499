"""SLOs of a service from the store: events per minute, error budgets, burn-rate verdicts.

Each minute of an indicator's source (the minute profile, the joined labels, the feedback,
the review queue, the stored findings: :mod:`telltale.policy.sources`) is turned into each
SLO's good and bad events once and kept in the store (``tt_slo_minutes``), so a verdict
over a 30-day period reads 43,200 small rows; the tick recomputes the last
``sources.late_s`` of minutes of each source every time, so data that arrives late still
counts.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from telltale.indicators import Ref, Source, resolve
from telltale.policy import sources
from telltale.policy.burn import LONGEST_S, MINUTE, Verdict, spans, verdict
from telltale.policy.indicators import Target, objective_of
from telltale.spec.model import ServiceSpec
from telltale.spec.policy import SLO, format_duration
from telltale.store._audit import SLOMinute

log = logging.getLogger(__name__)

#: How far back each tick recomputes minute profiles, for records that arrive a little late
#: (the recorder writes within a second or two; a spill replayed hours later is not re-counted).
LATE_S = sources.LATE_S["profile"]


@dataclass(frozen=True, slots=True)
class CompiledSLO:
    """An SLO of the spec with its indicator resolved and its objective worked out."""

    slo: SLO
    indicator: Ref
    target: Target

    @property
    def objective(self) -> float:
        return self.target.objective

    @property
    def source(self) -> Source:
        return self.indicator.indicator.source

    @property
    def name(self) -> str:
        return self.slo.name

    @property
    def family(self) -> str:
        return self.indicator.family

    def events(self, data: Any) -> tuple[float, float]:
        """(bad, total) events of one minute of the indicator's source."""
        return self.indicator.events(data, self.target.limit, self.target.above_is_bad)


def compile_slo(slo: SLO) -> CompiledSLO:
    """Resolve ``slo``; ValueError saying what is wrong and what is accepted."""
    r = resolve(slo.indicator, slo.stage)
    target = objective_of(slo.objective, slo.max, slo.min, r, slo.name)
    if slo.period < LONGEST_S:
        raise ValueError(f"SLO {slo.name!r}: period {format_duration(slo.period)} is shorter than the longest alerting "
                         f"window ({format_duration(LONGEST_S)}); use {format_duration(LONGEST_S)} or more (30d is the SRE workbook's)")
    if slo.period % MINUTE or slo.no_data_after % MINUTE:
        raise ValueError(f"SLO {slo.name!r}: period and no_data_after must be whole minutes (events are counted per minute)")
    return CompiledSLO(slo, r, target)


def compile_all(spec: ServiceSpec) -> list[CompiledSLO]:
    """The spec's SLOs that can be computed; the others are logged and skipped
    (``telltale check`` refuses them before launch)."""
    out = []
    for slo in spec.slos:
        try:
            out.append(compile_slo(slo))
        except ValueError as e:
            log.warning("service %s: SLO skipped: %s", spec.service, e)
    return out


def refresh(store: Any, project: str, spec: ServiceSpec, slos: list[CompiledSLO], now: float) -> None:
    """Bring the stored events per minute of ``slos`` up to the last closed minute."""
    if not slos:
        return
    end = int(now // MINUTE) * MINUTE
    keep = max(s.slo.period for s in slos) + LONGEST_S
    marks = store.slo_high_water(project, spec.service)
    rows = []
    for source in dict.fromkeys(s.source for s in slos):
        group = [s for s in slos if s.source == source]
        late = sources.late_s(source, end)
        start = min(max(marks.get(s.name, -math.inf) - late, end - s.slo.period) for s in group)
        start = int(start // MINUTE) * MINUTE
        stored = {s.name: {r.minute: r for r in store.read_slo_minutes(project, spec.service, s.name, start, end)} for s in group}
        for minute, data, records in sources.read(store, project, spec, source, start, end):
            for s in group:
                bad, total = s.events(data)
                row = SLOMinute(s.name, minute, bad, total, records)
                if stored[s.name].get(minute) != row:  # labels and findings are recounted over hours: write what changed
                    rows.append(row)
    store.write_slo_minutes(project, spec.service, rows, prune_before=end - keep)


class StoredSums:
    """An SLO's event sums over each span a verdict needs, from one SQL query."""

    def __init__(self, store: Any, project: str, service: str, slo: CompiledSLO, now: float) -> None:
        self.end = int(now // MINUTE) * MINUTE
        self._spans = spans(slo.slo.period, slo.slo.no_data_after)
        got = store.slo_sums(project, service, slo.name, self.end, self._spans)
        self._by: dict[float, tuple[float, float, float]] = dict(zip(self._spans, got))  # span -> (bad, total, records)

    def sums(self, end: int, seconds: float) -> tuple[float, float]:
        self._at(end)
        bad, total, _ = self._by[seconds]
        return bad, total

    def records_in(self, end: int, seconds: float) -> float:
        self._at(end)
        return self._by[seconds][2]

    def _at(self, end: int) -> None:
        if end != self.end:
            raise ValueError(f"these sums end at {self.end}, not {end}")


@dataclass(frozen=True, slots=True)
class SLOStatus:
    """One SLO of one service at one instant, for the API, the CLI and the policy."""

    service: str
    compiled: CompiledSLO
    verdict: Verdict
    at: float

    def to_dict(self) -> dict[str, Any]:
        v, s = self.verdict, self.compiled.slo
        return {
            "service": self.service, "name": s.name, "indicator": s.indicator, "stage": s.stage,
            "objective": self.compiled.objective, "threshold": s.max, "period": format_duration(s.period),
            "events": v.events, "bad_events": v.bad,
            "budget_remaining": _finite(v.budget_remaining), "status": v.status, "at": self.at,
            "burn_rates": [{"alert": b.window.alert, "long": format_duration(b.window.long_s),
                            "short": format_duration(b.window.short_s), "threshold": round(b.threshold, 6),
                            "long_burn": _finite(b.burn_long), "short_burn": _finite(b.burn_short),
                            "events_long": b.events_long, "firing": b.firing} for b in v.burns],
        }


def status_of(store: Any, project: str, spec: ServiceSpec, now: float, *, refresh_first: bool = True) -> list[SLOStatus]:
    """Every computable SLO of ``spec`` at ``now``."""
    slos = compile_all(spec)
    if refresh_first:
        refresh(store, project, spec, slos, now)
    return [SLOStatus(spec.service, s, verdict(StoredSums(store, project, spec.service, s, now), now, s.objective, s.slo.period,
                                               min_events=s.slo.min_events, no_data_after=s.slo.no_data_after), now)
            for s in slos]


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None
