"""The fallback chain from the spec, tried in order when the model cannot serve.

Steps: ``rules`` (the function passed as ``Guard(fallback=...)``; it may return ``None``
to pass to the next step), ``{default: value}`` (a fixed answer), ``abstain`` (an
explicit "not confident" decision with no value) and ``review`` (the record is queued
for a person and the caller is told, with no value). A rules function that raises is
skipped with the error in the reasons. Should every step pass, the guard abstains: a
decision always comes back, and it always says why.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from telltale.spec.model import FallbackDefault, ServiceSpec

_ABSTAIN, _REVIEW, _RULES, _DEFAULT = "abstain", "review", "rules", "default"


class FallbackChain:
    """The compiled chain; ``serve`` returns (value, source) and appends to ``reasons``."""

    __slots__ = ("steps", "_rules", "_on_review")

    def __init__(self, spec: ServiceSpec, rules: Callable[..., Any] | None = None,
                 on_review: Callable[[Mapping[str, Any]], Any] | None = None) -> None:
        steps: list[tuple[str, Any]] = []
        for i, step in enumerate(spec.fallback):
            if isinstance(step, FallbackDefault):
                steps.append((_DEFAULT, step.default))
            elif step == _RULES:
                if rules is None:
                    raise ValueError(
                        f"spec {spec.service!r} fallback[{i}] is 'rules' but no rules function was given: "
                        f"pass Guard(spec, model, fallback=your_rules_fn) or remove the step")
                steps.append((_RULES, None))
            else:
                steps.append((step, None))
        if not spec.fallback and rules is not None:
            steps.append((_RULES, None))  # no chain written: the function given is the fallback
        self.steps = tuple(steps)
        self._rules = rules
        self._on_review = on_review

    def serve(self, record: Mapping[str, Any], reasons: list[str]) -> tuple[Any, str]:
        for kind, arg in self.steps:
            if kind is _RULES:
                try:
                    value = self._rules(record)  # type: ignore[misc]
                except Exception as e:
                    reasons.append(f"rules fallback raised {type(e).__name__}: {e}")
                    continue
                if inspect.isawaitable(value):
                    _close(value)
                    reasons.append("rules fallback is async: use apredict to await it")
                    continue
                if value is None:
                    reasons.append("rules fallback had no answer")
                    continue
                return value, _RULES
            served = self._terminal(kind, arg, record, reasons)
            if served is not None:
                return served
        reasons.append("fallback chain exhausted: abstaining")
        return None, _ABSTAIN

    async def aserve(self, record: Mapping[str, Any], reasons: list[str]) -> tuple[Any, str]:
        for kind, arg in self.steps:
            if kind is _RULES:
                try:
                    value = self._rules(record)  # type: ignore[misc]
                    if inspect.isawaitable(value):
                        value = await value
                except Exception as e:
                    reasons.append(f"rules fallback raised {type(e).__name__}: {e}")
                    continue
                if value is None:
                    reasons.append("rules fallback had no answer")
                    continue
                return value, _RULES
            served = self._terminal(kind, arg, record, reasons)
            if served is not None:
                return served
        reasons.append("fallback chain exhausted: abstaining")
        return None, _ABSTAIN

    def _terminal(self, kind: str, arg: Any, record: Mapping[str, Any], reasons: list[str]) -> tuple[Any, str] | None:
        if kind is _DEFAULT:
            return arg, _DEFAULT
        if kind == _ABSTAIN:
            reasons.append("abstained: no confident answer")
            return None, _ABSTAIN
        if kind == _REVIEW:
            return self.review(record, reasons)
        return None

    def review(self, record: Mapping[str, Any], reasons: list[str]) -> tuple[Any, str]:
        """Queue for a person: the record is stored with source ``review``; a hook may also take it."""
        if self._on_review is not None:
            try:
                self._on_review(record)
            except Exception as e:
                reasons.append(f"review hook raised {type(e).__name__}: {e}")
        reasons.append("queued for human review")
        return None, _REVIEW


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
