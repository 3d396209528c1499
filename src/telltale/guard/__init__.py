"""The runtime guard: budgets, breaker, retry budget, bulkhead, output gates, fallbacks.

``Guard(spec, model, fallback)`` is the entry point; the rest are its parts, usable on
their own. Importing this package does not import the server's dependencies.
"""

from telltale.guard.breaker import CircuitBreaker, StateChange
from telltale.guard.bulkhead import Bulkhead
from telltale.guard.cost import CostModel
from telltale.guard.guard import Guard
from telltale.guard.output import Output
from telltale.guard.retry import RetryBudget, RetryPolicy
from telltale.guard.stage import Stage
from telltale.guard.stats import GuardStats
from telltale.guard.versions import Version

__all__ = [
    "Bulkhead", "CircuitBreaker", "CostModel", "Guard", "GuardStats", "Output", "RetryBudget",
    "RetryPolicy", "Stage", "StateChange", "Version",
]
