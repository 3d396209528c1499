"""``/v1/services/{service}/slos``: error budgets and burn rates per SLO, and the same SLOs
as Prometheus rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from telltale.server.auth import Project, service_spec, store_of

router = APIRouter()


@router.get("/v1/services/{service}/slos")
def get_slos(service: str, request: Request, project: str = Project,
             at: float | None = Query(None, ge=0, le=1e11, description="epoch seconds to judge at (0 to 1e11); default now")) -> dict[str, Any]:
    """Each SLO's objective, events, remaining error budget, burn rate per alerting window and status
    (ok, ticket, page, not enough events, no data), from the events stored per minute."""
    from telltale.policy import slo_status

    store = store_of(request)
    spec = service_spec(store, project, service)
    now = request.app.state.clock.now() if at is None else at
    return {"service": service, "at": now, "slos": [s.to_dict() for s in slo_status(store, project, spec, now)]}


@router.get("/v1/services/{service}/slos/rules", response_class=PlainTextResponse)
def get_slo_rules(service: str, request: Request, project: str = Project) -> str:
    """The service's SLOs as Prometheus recording and alerting rules (YAML) over this server's /metrics."""
    from telltale.policy.prometheus import rules_yaml

    spec = service_spec(store_of(request), project, service)
    return rules_yaml([spec], project=project)


class SLOCollector:
    """``telltale_slo_events_total`` and ``telltale_slo_bad_events_total`` per project, service
    and SLO: running sums of the events the policy counts per minute (``tt_slo_totals``),
    read from the store at scrape time, so every replica exports the same counters and
    Prometheus rules over them judge what the in-process evaluator judges."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def describe(self) -> list[Any]:
        return list(self._families())

    def collect(self) -> Any:
        events, bad = self._families()
        try:
            rows = self._store.slo_totals()
        except Exception:  # a store that is down must not break the scrape of everything else
            rows = []
        for project, service, slo, n_bad, n_total in rows:
            events.add_metric([project, service, slo], n_total)
            bad.add_metric([project, service, slo], n_bad)
        yield events
        yield bad

    @staticmethod
    def _families() -> tuple[Any, Any]:
        from prometheus_client.core import CounterMetricFamily

        labels = ["project", "service", "slo"]
        return (CounterMetricFamily("telltale_slo_events", "Events an SLO counts (decisions, or minutes for a time-slice SLO).", labels=labels),
                CounterMetricFamily("telltale_slo_bad_events", "Events that broke the SLO (errors, fallbacks, slow calls...).", labels=labels))
