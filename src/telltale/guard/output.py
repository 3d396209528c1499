"""What a model returns, and the gates its output must pass before it reaches the caller.

A model may return a plain value, an :class:`Output` (value, confidence, usage), or, for
a classifier whose spec lists ``output.classes``, a row of class probabilities (what
``predict_proba`` gives): the value is then the most probable class and the confidence
its probability. The gates come from the output contract: type, range, allowed classes
and a minimum confidence. Each gate has a name under which its triggers are counted.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from telltale.spec.model import OutputSpec

#: Gate names, in the order they are checked; triggers are counted under these names.
GATES: tuple[str, ...] = ("type", "range", "classes", "confidence", "ood")


@dataclass(slots=True)
class Output:
    """A model's answer with what the guard should know about it.

    ``usage`` is the call's token usage for LLM-style models (a mapping or an object with
    ``input_tokens``/``output_tokens`` or ``prompt_tokens``/``completion_tokens``); the
    guard prices it with the spec's ``cost``.
    """

    value: Any
    confidence: float | None = None
    usage: Any = None


def unpack(raw: Any, classes: tuple[Any, ...] | None) -> tuple[Any, float | None, Any]:
    """(value, confidence, usage) from whatever the model returned."""
    cls = raw.__class__
    if cls is Output:
        return raw.value, raw.confidence, raw.usage
    if classes is not None and cls is not str and hasattr(raw, "__len__") and not isinstance(raw, dict):
        row = raw
        if hasattr(row, "ndim") and getattr(row, "ndim", 1) == 2 and len(row) == 1:
            row = row[0]
        if len(row) == len(classes) and len(row) > 0:
            try:
                probs = [float(p) for p in row]
            except (TypeError, ValueError):
                return raw, None, None
            best = max(range(len(probs)), key=probs.__getitem__)
            return classes[best], probs[best], None
    return raw, None, None


class OutputGates:
    """The output contract compiled once; ``check`` returns (gate, reason) or None."""

    __slots__ = ("_type", "_lo", "_hi", "_classes", "_min_conf", "classes", "active", "plain")

    def __init__(self, spec: OutputSpec) -> None:
        self._type = spec.type
        r = spec.range
        self._lo = r.min if r is not None and r.min is not None else -math.inf
        self._hi = r.max if r is not None and r.max is not None else math.inf
        self.classes = tuple(spec.classes) if spec.classes is not None else None
        try:
            self._classes = frozenset(self.classes) if self.classes is not None else None
        except TypeError:  # unhashable classes: fall back to a linear scan
            self._classes = self.classes  # type: ignore[assignment]
        self._min_conf = spec.confidence.min if spec.confidence is not None else None
        self.active = True
        # The shortcut for the common answer, a plain number: (class, low, high) such that
        # a value of exactly that class with low <= value <= high, and no confidence,
        # passes every gate (the range is clamped to finite floats, which also keeps out
        # inf and NaN). None when the output is not a number or has classes.
        num = {"float": float, "int": int}.get(self._type)
        self.plain: tuple[type[float], float, float] | None = (
            (num, max(self._lo, -sys.float_info.max), min(self._hi, sys.float_info.max))
            if num is not None and self._classes is None else None)

    def check(self, value: Any, confidence: float | None) -> tuple[str, str] | None:
        plain = self.plain
        if plain is not None and confidence is None and value.__class__ is plain[0] and plain[1] <= value <= plain[2]:
            return None  # what the full check below would say, decided in one test
        t = self._type
        cls = value.__class__
        if t == "float" or t == "int":
            if cls is bool or not isinstance(value, (int, float)):
                if not _real(value):
                    return "type", f"model output {_show(value)} is not a number (output type {t})"
                value = float(value)
            if value != value or value in (math.inf, -math.inf):
                return "type", f"model output {value} is not a finite number"
            if t == "int" and cls is not int and not float(value).is_integer():
                return "type", f"model output {value!r} is not an integer (output type int)"
            if value < self._lo:
                return "range", f"model output {value!r} is below the output range minimum {self._lo!r}"
            if value > self._hi:
                return "range", f"model output {value!r} is above the output range maximum {self._hi!r}"
        elif t == "bool":
            if cls is not bool and not (cls.__module__ == "numpy" and cls.__name__ in ("bool", "bool_")):
                return "type", f"model output {_show(value)} is not a bool"
        elif cls is not str and self._classes is None:
            return "type", f"model output {_show(value)} is not a string (output type {t})"
        if self._classes is not None and value not in self._classes:
            return "classes", f"model output {value!r} is not one of the allowed classes {list(self.classes or ())}"
        if self._min_conf is not None and confidence is not None and confidence < self._min_conf:
            return "confidence", f"confidence {confidence:.3g} is below the minimum {self._min_conf:g}"
        return None

    def low_confidence(self, confidence: float | None) -> bool:
        return self._min_conf is not None and confidence is not None and confidence < self._min_conf


def _real(v: Any) -> bool:
    """numpy scalars and other real numbers (not bool, not str)."""
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return not isinstance(v, (str, bytes, bool))


def _show(v: Any) -> str:
    r = repr(v)
    return f"{type(v).__name__} {r if len(r) <= 40 else r[:37] + '...'}"
