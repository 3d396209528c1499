"""The runtime guard: budgets, breaker, retry budget, bulkhead, output gates, fallbacks.

``Guard(spec, model, fallback)`` is the entry point; the rest are its parts, usable on
their own. Importing this package does not import the server's dependencies.

>>> import telltale as tt
>>> from telltale.record import MemoryRecorder
>>> spec = tt.parse_spec('''
... service: eta
... owner: ml@example.com
... inputs:
...   distance_km: {type: float, range: [0, 60]}
... output: {type: float, range: [1, 240]}
... fallback: [rules, {default: 35.0}]
... guard: {breaker: {min_calls: 20}, bulkhead: {max_concurrent: 8, max_wait_ms: 5}}
... ''')
>>> guard = tt.Guard(spec, model=lambda r: 10 + 2 * r["distance_km"], fallback=lambda r: 30.0,
...                  recorder=MemoryRecorder())
>>> d = guard.predict({"distance_km": 3.2})
>>> d.value, d.source
(16.4, 'model')
>>> d = guard.predict({"distance_km": 3200.0})
>>> d.value, d.source, d.reasons
(30.0, 'rules', ['input distance_km value 3200.0 is above the maximum 60.0'])
"""

from telltale.guard.breaker import CircuitBreaker, StateChange
from telltale.guard.bulkhead import Bulkhead
from telltale.guard.cost import CostModel
from telltale.guard.guard import Guard
from telltale.guard.metrics import GuardCollector, register_guard_metrics
from telltale.guard.output import Output
from telltale.guard.retry import RetryBudget, RetryPolicy
from telltale.guard.stage import Stage
from telltale.guard.stats import GuardStats
from telltale.guard.versions import Version

__all__ = [
    "Bulkhead", "CircuitBreaker", "CostModel", "Guard", "GuardCollector", "GuardStats", "Output", "RetryBudget",
    "RetryPolicy", "Stage", "StateChange", "Version", "register_guard_metrics",
]
