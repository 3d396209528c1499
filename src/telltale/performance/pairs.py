"""From a stored prediction and its label to a :class:`Pair` the summaries fold.

Whether a service is a classifier or a regressor comes from its spec: ``output.classes``,
or an output type of ``category``, ``bool`` or ``string``, make a classifier; a ``float``
(or an ``int`` without classes) a regressor. A binary classifier (two classes, or a
``bool`` output) also gets the positive-class score from the top-label confidence (the
guard records the probability of the class it served), which ROC AUC, log loss and the
Brier score need; the positive class is the second listed (``classes[1]``), or ``True``.
"""

from __future__ import annotations

import math
from typing import Any

from telltale.performance.summary import Kind, Pair
from telltale.spec.model import ServiceSpec
from telltale.types import PredictionRecord


def kind_of(spec: ServiceSpec | None) -> Kind:
    if spec is None:
        return "classification"
    out = spec.output
    if out.classes is not None or out.type in ("category", "bool", "string"):
        return "classification"
    return "regression"


def positive_class(spec: ServiceSpec | None) -> str | None:
    """The class key of the positive class of a binary classifier, else None."""
    if spec is None:
        return None
    out = spec.output
    if out.classes is not None and len(out.classes) == 2:
        return class_key(out.classes[1])
    if out.classes is None and out.type == "bool":
        return class_key(True)
    return None


def class_key(v: Any) -> str:
    """One spelling per class across JSON and Python: 1, 1.0 and "1" are the same class."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def pair_for(record: PredictionRecord, label: Any, label_ts: float, kind: Kind, positive: str | None) -> Pair | None:
    """The pair of ``record`` and ``label``; None when the two cannot be compared (no
    output, a label or output that is not a number for a regressor, a shadow record)."""
    return pair_of(record.output, record.confidence, record.source, record.ts, label, label_ts, kind, positive)


def pair_of(output: Any, confidence: Any, source: str | None, ts: float, label: Any, label_ts: float, kind: Kind,
            positive: str | None) -> Pair | None:
    """:func:`pair_for` on the fields of a stored prediction that scoring reads (the feedback
    join reads only these from the database, not the whole record)."""
    if output is None or label is None or isinstance(label, dict) or source == "shadow":
        return None
    delay = max(0.0, float(label_ts) - float(ts))
    if kind == "regression":
        y, yhat = number(label), number(output)
        if y is None or yhat is None:
            return None
        return Pair(kind="regression", actual=y, predicted=yhat, delay_s=delay)
    actual, predicted = class_key(label), class_key(output)
    conf = confidence
    conf = float(conf) if isinstance(conf, (int, float)) and math.isfinite(conf) and 0.0 <= conf <= 1.0 else None
    p_pos = y_pos = None
    if positive is not None and conf is not None:
        p_pos = conf if predicted == positive else 1.0 - conf
        y_pos = actual == positive
    return Pair(kind="classification", actual=actual, predicted=predicted, confidence=conf, p_pos=p_pos, y_pos=y_pos, delay_s=delay)


def number(v: Any) -> float | None:
    """``v`` as a finite float (a bool, a number or a numeric string), else None."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None
