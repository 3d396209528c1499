"""Series ``/metrics`` reads from the store at scrape time, so every replica exports the same
values for the same stored data: open findings per kind, SLO burn rates and error budgets,
alert deliveries per receiver and outcome.

Each scrape runs a few GROUP BY queries over findings and deliveries, and the SLO verdicts
from the stored per-minute sums (no refresh, no write): its cost follows the number of
services and SLOs, not traffic. The instant is the current minute's start, the same on
every replica.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from telltale.clock import Clock
from telltale.spec.policy import format_duration
from telltale.types import family_of

log = logging.getLogger(__name__)


class StoreCollector:
    """A prometheus_client collector over one store (register it on the app's registry)."""

    def __init__(self, store: Any, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def describe(self) -> list[Metric]:
        return [*_findings_family(), *_slo_families(), _deliveries_family()]

    def collect(self) -> Iterator[Metric]:
        yield from self._findings()
        yield from self._slos()
        yield self._deliveries()

    def _findings(self) -> Iterator[Metric]:
        (open_,) = _findings_family()
        for row in _safe(self._store.open_finding_counts):
            open_.add_metric([row.project, row.service, row.kind, family_of(row.kind), row.severity], row.count)
        yield open_

    def _slos(self) -> Iterator[Metric]:
        from telltale.policy.slo import status_of

        burn, budget, objective = _slo_families()
        now = float(int(self._clock.now() // 60) * 60)
        for project, spec in _safe(self._store.policy_targets):
            try:
                statuses = status_of(self._store, project, spec, now, refresh_first=False)
            except Exception:  # one broken service must not break the scrape of the others
                log.exception("SLO metrics failed for %s/%s", project, spec.service)
                continue
            for st in statuses:
                labels = [project, spec.service, st.compiled.name]
                objective.add_metric(labels, st.compiled.objective)
                left = st.verdict.budget_remaining
                if left is not None:
                    budget.add_metric(labels, left)
                windows: dict[str, float] = {}
                for b in st.verdict.burns:
                    windows[format_duration(b.window.long_s)] = b.burn_long
                    windows[format_duration(b.window.short_s)] = b.burn_short
                for window, rate in sorted(windows.items()):
                    burn.add_metric([*labels, window], rate)
        yield burn
        yield budget
        yield objective

    def _deliveries(self) -> Metric:
        fam = _deliveries_family()
        for row in _safe(self._store.delivery_counts):
            fam.add_metric([row.project, row.service, row.receiver, row.status], row.count)
        return fam


def _safe(read: Any) -> list[Any]:
    """What ``read()`` returns, or nothing when the store is down: the rest of the scrape goes on."""
    try:
        return list(read())
    except Exception:
        log.warning("store unavailable for /metrics: %s", getattr(read, "__name__", read), exc_info=True)
        return []


def _findings_family() -> tuple[GaugeMetricFamily]:
    return (GaugeMetricFamily("telltale_findings_open", "Stored findings open now, by kind, signal family and severity.",
                              labels=["project", "service", "kind", "family", "severity"]),)


def _slo_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    labels = ["project", "service", "slo"]
    return (GaugeMetricFamily("telltale_slo_burn_rate", "Error-budget burn rate over a window (1 = spending the budget exactly over the period).",
                              labels=[*labels, "window"]),
            GaugeMetricFamily("telltale_slo_budget_remaining", "Share of the period's error budget left (negative once overspent).", labels=labels),
            GaugeMetricFamily("telltale_slo_objective", "The SLO's objective, as a share of good events.", labels=labels))


def _deliveries_family() -> CounterMetricFamily:
    return CounterMetricFamily("telltale_alert_deliveries", "Alert delivery attempts by receiver and outcome (ok, failed, rejected, expired).",
                               labels=["project", "service", "receiver", "status"])
