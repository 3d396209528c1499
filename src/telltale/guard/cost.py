"""Per-call cost from the spec's prices and the call's usage (DESIGN.md failure 14).

A fixed price per model attempt (so retries cost what they cost) plus, for LLM-style
calls, prices per thousand input, cached input and output tokens read from the usage
the model reports. Usage may be a mapping or an object, in the common namings:
``input_tokens``/``output_tokens`` or ``prompt_tokens``/``completion_tokens``; cached
input tokens as OpenAI reports them (``prompt_tokens_details.cached_tokens``, part of
``prompt_tokens``) or as Anthropic does (``cache_read_input_tokens``, not part of its
``input_tokens``, so they are added to it).

Telltale's own convention, in records and profiles: ``input_tokens`` counts every input
token, ``cached_tokens`` the part of them read from the provider's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telltale.spec.model import CostSettings

_IN_NAMES = ("input_tokens", "prompt_tokens")
_OUT_NAMES = ("output_tokens", "completion_tokens")
_CACHED_DETAIL = (("prompt_tokens_details", "cached_tokens"), ("input_tokens_details", "cached_tokens"))
_ANTHROPIC_CACHE_READ = "cache_read_input_tokens"
_ANTHROPIC_CACHE_WRITE = "cache_creation_input_tokens"


@dataclass(frozen=True, slots=True)
class Tokens:
    """One call's token usage: ``input`` includes ``cached``."""

    input: int = 0
    output: int = 0
    cached: int = 0


class CostModel:
    """Prices compiled from ``spec.cost``; ``enabled`` is False when every price is zero.

    Cached input tokens are priced at ``per_1k_cached_tokens`` when the spec sets it,
    else as other input tokens.

    >>> from telltale.spec.model import CostSettings
    >>> m = CostModel(CostSettings(per_call=0.001, per_1k_input_tokens=0.5, per_1k_output_tokens=1.5))
    >>> round(m.cost(attempts=1, usage={"input_tokens": 2000, "output_tokens": 100}), 6)
    1.151
    >>> m = CostModel(CostSettings(per_1k_input_tokens=1.0, per_1k_cached_tokens=0.1))
    >>> round(m.cost(1, {"prompt_tokens": 2000, "prompt_tokens_details": {"cached_tokens": 1000}}), 6)
    1.1
    """

    __slots__ = ("per_call", "per_in", "per_out", "per_cached", "enabled", "currency")

    def __init__(self, settings: CostSettings) -> None:
        self.per_call = float(settings.per_call)
        self.per_in = float(settings.per_1k_input_tokens) / 1000.0
        self.per_out = float(settings.per_1k_output_tokens) / 1000.0
        cached = settings.per_1k_cached_tokens
        self.per_cached = float(cached) / 1000.0 if cached is not None else self.per_in
        self.currency = settings.currency
        self.enabled = bool(self.per_call or self.per_in or self.per_out or self.per_cached)

    def cost(self, attempts: int, usage: Any = None) -> float | None:
        """Cost of one decision: ``attempts`` model calls, plus token prices for ``usage``."""
        if not self.enabled:
            return None
        total = self.per_call * attempts
        if usage is not None and (self.per_in or self.per_out or self.per_cached):
            t = usage_tokens(usage)
            total += self.price(t)
        return total

    def price(self, t: Tokens) -> float:
        """The token part of a call's cost."""
        return (t.input - t.cached) * self.per_in + t.cached * self.per_cached + t.output * self.per_out


def usage_tokens(usage: Any) -> Tokens:
    """Token counts from a usage mapping or object; missing counts are 0.

    >>> usage_tokens({"input_tokens": 50, "cache_read_input_tokens": 950, "output_tokens": 10})
    Tokens(input=1000, output=10, cached=950)
    """
    tin, tout = _pick(usage, _IN_NAMES), _pick(usage, _OUT_NAMES)
    cache_read = _pick(usage, (_ANTHROPIC_CACHE_READ,))
    if cache_read or _pick(usage, (_ANTHROPIC_CACHE_WRITE,)):  # Anthropic: input_tokens excludes cache reads and writes
        return Tokens(tin + cache_read + _pick(usage, (_ANTHROPIC_CACHE_WRITE,)), tout, cache_read)
    cached = 0
    for outer, inner in _CACHED_DETAIL:
        details = _get(usage, outer)
        if details is not None:
            cached = _pick(details, (inner,))
            if cached:
                break
    return Tokens(tin, tout, min(cached, tin) if tin else cached)


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _pick(usage: Any, names: tuple[str, ...]) -> int:
    for name in names:
        v = _get(usage, name)
        if v is not None:
            try:
                return max(0, int(v))
            except (TypeError, ValueError):
                return 0
    return 0
