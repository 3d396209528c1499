"""Per-call cost from the spec's prices and the call's usage (DESIGN.md failure 14).

A fixed price per model attempt (so retries cost what they cost) plus, for LLM-style
calls, prices per thousand input and output tokens read from the usage the model
reports. Usage may be a mapping or an object, in either common naming:
``input_tokens``/``output_tokens`` or ``prompt_tokens``/``completion_tokens``.
"""

from __future__ import annotations

from typing import Any

from telltale.spec.model import CostSettings

_IN_NAMES = ("input_tokens", "prompt_tokens")
_OUT_NAMES = ("output_tokens", "completion_tokens")


class CostModel:
    """Prices compiled from ``spec.cost``; ``enabled`` is False when every price is zero.

    >>> from telltale.spec.model import CostSettings
    >>> m = CostModel(CostSettings(per_call=0.001, per_1k_input_tokens=0.5, per_1k_output_tokens=1.5))
    >>> round(m.cost(attempts=1, usage={"input_tokens": 2000, "output_tokens": 100}), 6)
    1.151
    """

    __slots__ = ("per_call", "per_in", "per_out", "enabled", "currency")

    def __init__(self, settings: CostSettings) -> None:
        self.per_call = float(settings.per_call)
        self.per_in = float(settings.per_1k_input_tokens) / 1000.0
        self.per_out = float(settings.per_1k_output_tokens) / 1000.0
        self.currency = settings.currency
        self.enabled = bool(self.per_call or self.per_in or self.per_out)

    def cost(self, attempts: int, usage: Any = None) -> float | None:
        """Cost of one decision: ``attempts`` model calls, plus token prices for ``usage``."""
        if not self.enabled:
            return None
        total = self.per_call * attempts
        if usage is not None and (self.per_in or self.per_out):
            tin, tout = usage_tokens(usage)
            total += tin * self.per_in + tout * self.per_out
        return total


def usage_tokens(usage: Any) -> tuple[int, int]:
    """(input tokens, output tokens) from a usage mapping or object; missing counts are 0."""
    return _pick(usage, _IN_NAMES), _pick(usage, _OUT_NAMES)


def _pick(usage: Any, names: tuple[str, ...]) -> int:
    for name in names:
        v = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
        if v is not None:
            try:
                return max(0, int(v))
            except (TypeError, ValueError):
                return 0
    return 0
