"""Prometheus metrics for one app: requests, ingestion, violations, and writer health.

Each app owns its ``CollectorRegistry`` (never the process-global one), so two apps in
one process, or one per test, never share or double-register counters. Writer metrics
are read from in-process recorders' ``stats`` at scrape time, not copied on every call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class ServerMetrics:
    def __init__(self, recorders: Sequence[Any] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("telltale_http_requests", "HTTP requests by route template, method and status.", ["route", "method", "status"], registry=r)
        self.ingested = Counter("telltale_records_ingested", "Records newly stored by the ingestion route.", ["service"], registry=r)
        self.duplicates = Counter("telltale_records_duplicate", "Records received again (same id) and not stored twice.", ["service"], registry=r)
        self.malformed = Counter("telltale_records_malformed", "Records refused as malformed, by the field at fault.", ["service", "field"], registry=r)
        self.violations = Counter("telltale_violations", "Contract violations seen at ingestion, by field and kind.", ["service", "field", "kind"], registry=r)
        if recorders:
            r.register(_RecorderCollector(recorders))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RecorderCollector(Collector):
    """Queue depth, spill and drops of in-process recorders (telltale.record), summed."""

    def __init__(self, recorders: Sequence[Any]) -> None:
        self._recorders = list(recorders)

    def collect(self) -> Iterable[Any]:
        stats = [r.stats for r in self._recorders]
        depth = GaugeMetricFamily("telltale_writer_queue_depth", "Records waiting in recorder queues.")
        depth.add_metric([], sum(s.queue_depth for s in stats))
        yield depth
        pending = GaugeMetricFamily("telltale_writer_spill_pending", "Spilled records waiting to be replayed.")
        pending.add_metric([], sum(s.spill_pending for s in stats))
        yield pending
        for name in ("queued", "written", "spilled", "replayed"):
            c = CounterMetricFamily(f"telltale_writer_{name}", f"Records {name} by recorders.")
            c.add_metric([], sum(getattr(s, name) for s in stats))
            yield c
        drops = CounterMetricFamily("telltale_writer_dropped", "Records dropped by recorders, by reason.", labels=["reason"])
        totals: dict[str, int] = {}
        for s in stats:
            for reason, n in s.dropped.items():
                totals[reason] = totals.get(reason, 0) + n
        for reason, n in sorted(totals.items()):
            drops.add_metric([reason], n)
        yield drops


class RequestCounter:
    """ASGI middleware counting requests by route template (not raw path: bounded labels)."""

    def __init__(self, app: Any, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route, scope.get("method", ""), str(status)).inc()


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
