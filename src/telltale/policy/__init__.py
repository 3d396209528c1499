"""The policy: SLOs with error budgets and burn rates, rules that act, audited mode changes.

Data flows in from the store (minute profiles, labels, feedback, the review queue, stored
findings: ``telltale.policy.sources``) and out as alerts (to
``notify``, by default the alert outbox) and control modes (read back by every guard).

- ``tick(store, now)``: one pass over every service (``telltale serve`` runs it each minute).
- ``telltale.indicators.TABLE``: the indicators SLOs and rules may name (declared once).
- ``slo_status(store, project, spec, now)``: budgets and burn rates per SLO.
"""

from telltale.policy.slo import SLOStatus, status_of as slo_status
from telltale.policy.tick import TickResult, default_notify, tick, tick_service

__all__ = ["SLOStatus", "TickResult", "default_notify", "slo_status", "tick", "tick_service"]
