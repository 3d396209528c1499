"""The spec's SLOs as Prometheus recording and alerting rules over telltale's ``/metrics``.

One spec drives both evaluators: the rules read the counters the server exports from
the same per-minute events the in-process policy judges,

- ``telltale_slo_events_total{project, service, slo}``: events the SLO counts,
- ``telltale_slo_bad_events_total{project, service, slo}``: events that broke it,

and alert on the same windows, thresholds and minimum event counts
(``telltale.policy.burn.WORKBOOK``). Recording rules give the bad share and the event
count per window for every SLO at once; one alerting rule per SLO and alert (page,
ticket, no data) filters on its labels. Output is YAML for ``promtool check rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from telltale.policy.burn import LONGEST_S, WORKBOOK
from telltale.policy.slo import compile_all
from telltale.spec.model import ServiceSpec
from telltale.spec.policy import format_duration

EVENTS = "telltale_slo_events_total"
BAD = "telltale_slo_bad_events_total"
_BY = "project, service, slo"


def _windows() -> list[str]:
    spans = sorted({s for w in WORKBOOK for s in (w.long_s, w.short_s)})
    return [format_duration(s) for s in spans]


def recording_rules() -> list[dict[str, Any]]:
    out = []
    for w in _windows():
        out.append({"record": f"telltale:slo_bad_ratio:rate{w}",
                    "expr": f"sum by ({_BY}) (rate({BAD}[{w}])) / sum by ({_BY}) (rate({EVENTS}[{w}]))"})
        out.append({"record": f"telltale:slo_events:increase{w}", "expr": f"sum by ({_BY}) (increase({EVENTS}[{w}]))"})
    return out


def alerting_rules(spec: ServiceSpec, project: str = "default") -> list[dict[str, Any]]:
    out = []
    for c in compile_all(spec):
        sel = f'{{project="{project}",service="{spec.service}",slo="{c.name}"}}'
        allowed = 1.0 - c.objective
        labels = {"service": spec.service, "slo": c.name, "family": c.family}
        for alert, severity in (("page", "critical"), ("ticket", "warning")):
            parts = []
            for w in (w for w in WORKBOOK if w.alert == alert):
                bound = _num(w.threshold(c.slo.period) * allowed)
                long_, short = format_duration(w.long_s), format_duration(w.short_s)
                parts.append(f"(telltale:slo_bad_ratio:rate{long_}{sel} >= {bound}"
                             f" and telltale:slo_bad_ratio:rate{short}{sel} >= {bound}"
                             f" and telltale:slo_events:increase{long_}{sel} >= {c.slo.min_events})")
            out.append({
                "alert": f"TelltaleSLO{alert.capitalize()}",
                "expr": " or ".join(parts),
                "labels": {**labels, "severity": severity, "telltale_alert": alert},
                "annotations": {"summary": f"{spec.service}: SLO {c.name} burns its error budget ({alert})",
                                "description": f"{c.slo.indicator}, objective {c.objective:g} over {format_duration(c.slo.period)}"},
            })
        quiet = format_duration(c.slo.no_data_after)
        out.append({
            "alert": "TelltaleSLONoData",
            "expr": f"increase({EVENTS}{sel}[{quiet}]) == 0 and increase({EVENTS}{sel}[{format_duration(LONGEST_S)}]) > 0",
            "labels": {**labels, "severity": "warning", "telltale_alert": "no_data"},
            "annotations": {"summary": f"{spec.service}: SLO {c.name} has no data for {quiet}"},
        })
    return out


def rules_yaml(specs: Sequence[ServiceSpec], project: str = "default") -> str:
    """A Prometheus rule file: the shared recording rules, then each service's alerts."""
    groups: list[dict[str, Any]] = [{"name": "telltale-slo-recording", "rules": recording_rules()}]
    for spec in specs:
        groups.append({"name": f"telltale-slo-{spec.service}", "rules": alerting_rules(spec, project)})
    header = (f"# Written by `telltale slo rules`. Needs telltale's /metrics scraped: {EVENTS} and {BAD}\n"
              "# (labels project, service, slo). Check with `promtool check rules <this file>`.\n")
    return header + yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000)


def _num(x: float) -> str:
    return f"{x:.10g}"
