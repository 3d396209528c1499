"""A spec whose alerts go to local stand-ins, and alerts as the policy would raise them."""

from __future__ import annotations

from typing import Any

from telltale.spec import ServiceSpec, spec_from_dict
from telltale.types import Alert


def spec_with(receivers: dict[str, Any], routes: dict[str, list[str]], **alerting: Any) -> ServiceSpec:
    return spec_from_dict({
        "service": "eta", "owner": "ml@example.com",
        "owners": {"data": "data-eng@example.com", "model": "ml@example.com", "platform": "oncall@example.com"},
        "inputs": {"prep_time_s": {"type": "float", "unit": "s", "range": [0, 7200]}},
        "alerting": {"receivers": receivers, "routes": routes, **alerting},
    })


def alert(fp: str, *, state: str = "firing", incident: str | None = None, family: str = "data", severity: str = "critical",
          at: float = 1_767_225_600.0, title: str | None = None, labels: dict[str, str] | None = None) -> Alert:
    return Alert(fingerprint=fp, service="eta", family=family, severity=severity, state=state,
                 title=title or f"{fp} {state}", message=f"what {fp} found", source=f"finding:{fp}",
                 starts_at=at, ends_at=at + 60 if state == "resolved" else None, incident=incident,
                 labels={"kind": "unit"} if labels is None else labels)
