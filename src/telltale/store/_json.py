"""JSON for stored records: tolerant of what a guard may hand over (NumPy scalars, dates, NaN)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from json.encoder import encode_basestring_ascii
from typing import Any


def dumps(obj: Any) -> str:
    # allow_nan: a NaN input from an in-process guard is kept as written (the contract
    # already counted it as a null); the HTTP server rejects NaN before it gets here.
    return _ENCODER.encode(obj)


def scalar(v: Any) -> str:
    """``dumps(v)``, written directly for a string, a finite float, an int, a bool or None
    (several times faster than the encoder for one small value; anything else goes to it)."""
    t = type(v)
    if t is str:
        return encode_basestring_ascii(v)  # what the encoder writes for a str (ensure_ascii)
    if t is float and math.isfinite(v):
        return float.__repr__(v)  # what the encoder writes for a finite float
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    return _ENCODER.encode(v)


def array(values: Iterable[Any]) -> str:
    """``dumps(list(values))`` through :func:`scalar`: the same text, for rows of small values."""
    return "[" + ",".join([scalar(v) for v in values]) + "]"


def loads(text: str) -> Any:
    return json.loads(text)


def _default(o: Any) -> Any:
    """What ``json`` cannot encode itself, as something it can."""
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    item = getattr(o, "item", None)  # numpy scalars
    if callable(item):
        return item()
    tolist = getattr(o, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


#: One encoder for every call (``json.dumps`` with options builds a new one each time:
#: a third of the cost of encoding a small record).
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_default, allow_nan=True)
