"""Prometheus metrics for one app: requests, ingestion, violations, and writer health.

Each app owns its ``CollectorRegistry`` (never the process-global one), so two apps in
one process, or one per test, never share or double-register counters. Writer metrics
come from telltale.record's collector over in-process recorders' ``stats``, read at
scrape time (``telltale_recorder_*``: queue depth, spilled, replayed, dropped by reason).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest


class ServerMetrics:
    def __init__(self, recorders: Mapping[str, Any] | Sequence[Any] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("telltale_http_requests", "HTTP requests by route template, method and status.", ["route", "method", "status"], registry=r)
        per = ["project", "service"]
        self.ingested = Counter("telltale_records_ingested", "Records newly stored by the ingestion route.", per, registry=r)
        self.duplicates = Counter("telltale_records_duplicate", "Records received again (same id) and not stored twice.", per, registry=r)
        self.malformed = Counter("telltale_records_malformed", "Records refused as malformed, by the field at fault.", [*per, "field"], registry=r)
        self.shed = Counter("telltale_http_shed", "Requests refused with 503 because the server was at capacity.", registry=r)
        self.violations = Counter("telltale_violations", "Contract violations seen at ingestion, by field and kind.", [*per, "field", "kind"], registry=r)
        self.decisions = Counter("telltale_decisions", "Decisions newly stored, by what served them (model, canary, rules, default, abstain, review, shadow).",
                                 [*per, "source"], registry=r)
        self.guard_triggers = Counter("telltale_guard_triggers", "Decisions a guard took from the model (breaker, timeout, budget...), by guard.",
                                      [*per, "guard"], registry=r)
        named = recorders.items() if isinstance(recorders, Mapping) else ((str(i), rec) for i, rec in enumerate(recorders))
        if recorders:
            from telltale.record import register_metrics

            for name, rec in named:
                register_metrics(rec, r, {"recorder": name})

    def render(self) -> bytes:
        return generate_latest(self.registry)


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


class _OnlyProject:
    """A view of a registry without the samples of projects other than ``project`` (series
    without a project label, such as request counts by route, name no project)."""

    def __init__(self, registry: CollectorRegistry, project: str) -> None:
        self._registry = registry
        self._project = project

    def collect(self) -> Any:
        for family in self._registry.collect():
            family.samples = [s for s in family.samples if s.labels.get("project", self._project) == self._project]
            yield family


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Every series when the server runs with open metrics (the default, for a scraper on a
    private network); with ``--metrics-token`` only those of the caller's project (a read
    or admin token), so no project sees another's service names."""
    state = request.app.state
    if not getattr(state, "metrics_token", False):
        return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
    from telltale.server.auth import token_of

    info = token_of(request)
    if info.scope not in ("read", "admin"):
        raise HTTPException(403, f"token {info.id} has scope {info.scope!r}; /metrics needs a read or admin token")
    return Response(generate_latest(_OnlyProject(state.metrics.registry, info.project)), media_type=CONTENT_TYPE_LATEST)
